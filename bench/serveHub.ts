/**
 * The local Hub of the download tests, in its own process for bench/download.ts,
 * so the benchmark's CPU time is the client's alone. Messages: {repo, files}
 * (file sizes in bytes, content generated here), {faults}; answers {url}, {ok}.
 */
import { HubServer, type Faults } from '../test/engine/model/download/hubServer';

function pseudoRandom(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  return b;
}

async function main() {
  const hub = await new HubServer().start();
  process.on('message', (m: { repo?: string; files?: Record<string, string | number>; faults?: Faults }) => {
    if (m.repo && m.files) {
      const files = Object.fromEntries(Object.entries(m.files).map(([k, v], i) => [k, typeof v === 'number' ? pseudoRandom(v, i + 7) : v]));
      hub.setRepo(m.repo, { files });
    }
    if (m.faults) hub.faults = m.faults;
    process.send!({ ok: true });
  });
  process.send!({ url: hub.hubUrl });
}

void main();
