/** A Hub repository as typed: "owner/name", "owner/name@revision", or its huggingface.co address. */
export function parseRepoInput(text: string): { repo: string; revision?: string } {
  const t = text.trim().replace(/^https?:\/\/huggingface\.co\//, '').replace(/\/+$/, '');
  const at = t.lastIndexOf('@');
  return at > 0 ? { repo: t.slice(0, at), revision: t.slice(at + 1) || undefined } : { repo: t };
}
