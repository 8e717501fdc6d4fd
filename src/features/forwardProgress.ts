/**
 * VS Code's progress notifications take increments; the engine reports
 * fractions done. This turns one into the other, never moving the bar back
 * (a later phase may start its fraction again from 0). Free of the VS Code
 * API: tested in plain Node.
 */
export interface ProgressStep {
  message?: string;
  /** 0..1 of the whole work, when known */
  fraction?: number;
}

/** A reporter of steps to `report` (a vscode.Progress's), as increments in percent. */
export function forwardProgress(report: (p: { message?: string; increment?: number }) => void): (step: ProgressStep) => void {
  let done = 0;
  return ({ message, fraction }) => {
    // a step without a message leaves the one shown
    const text = message === undefined ? {} : { message };
    if (fraction === undefined) return report(text);
    const percent = fraction * 100;
    const increment = Math.max(0, percent - done);
    done = Math.max(done, percent);
    report({ ...text, increment });
  };
}
