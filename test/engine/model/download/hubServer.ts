/**
 * A local stand-in for the Hugging Face Hub on 127.0.0.1, behaving as the real
 * one does where downloads depend on it: the revision and tree APIs (tree
 * paginated by Link headers, LFS sha256 in `lfs.oid`), resolve URLs that
 * redirect LFS files to a second server (a CDN on another port, so another
 * origin) with X-Repo-Commit / X-Linked-Etag / X-Linked-Size, Range requests
 * (206), X-Error-Code on errors (RepoNotFound, RevisionNotFound,
 * EntryNotFound, GatedRepo), and faults a test switches on: a connection
 * dropped mid-file, bytes that do not match the sha256, a slow file, a server
 * that ignores Range.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RepoSpec {
  files: Record<string, Buffer | string>;
  /** paths stored in LFS (default: *.safetensors, *.bin, *.onnx, *.onnx_data) */
  lfs?: (path: string) => boolean;
  /** gated: resolve needs this token; other tokens get 403 */
  gatedToken?: string;
  /** private: every call needs this token */
  privateToken?: string;
  /** branch -> commit; default { main: <hash of the files> } */
  commit?: string;
}

export interface Faults {
  /** drop the connection after this many bytes of the file, this many times */
  drop?: { path: string; afterBytes: number; times: number };
  /** serve these bytes wrong (same length), this many times (Infinity: always) */
  corrupt?: { path: string; times: number };
  /** send the file in small pieces with pauses (for cancelling and killing mid-file) */
  slow?: { path: string; chunk: number; everyMs: number };
  /** answer 200 with the whole file to Range requests */
  ignoreRange?: boolean;
  /** answer the resolve of this path with HTTP 503 this many times first */
  unavailable?: { path: string; times: number };
  /** listed in the tree, but gone when fetched (removed between the listing and the download) */
  vanished?: string;
}

export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  authorization: boolean;
  range?: string;
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
export const gitBlobId = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

const defaultLfs = (p: string) => /\.(safetensors|bin|onnx|onnx_data|pt|h5|msgpack)$/.test(p);

interface StoredRepo {
  spec: RepoSpec;
  files: Map<string, Buffer>;
  commit: string;
}

export class HubServer {
  readonly log: LoggedRequest[] = [];
  faults: Faults = {};
  /** entries per tree page */
  pageSize = 3;
  private readonly repos = new Map<string, StoredRepo>();
  private hub!: http.Server;
  private cdn!: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();
  hubUrl = '';
  cdnUrl = '';

  /** repositories renamed: old id -> new id (the Hub answers with a relative redirect) */
  readonly renamed = new Map<string, string>();

  setRepo(id: string, spec: RepoSpec): StoredRepo {
    const files = new Map(Object.entries(spec.files).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v)]));
    const commit = spec.commit ?? createHash('sha1').update([...files].map(([k, v]) => k + sha256(v)).join()).digest('hex');
    const r = { spec, files, commit };
    this.repos.set(id, r);
    return r;
  }

  async start(): Promise<this> {
    this.hub = http.createServer((q, s) => this.onHub(q, s));
    this.cdn = http.createServer((q, s) => this.onCdn(q, s));
    for (const srv of [this.hub, this.cdn]) {
      srv.on('connection', (c) => {
        this.sockets.add(c);
        c.on('close', () => this.sockets.delete(c));
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    }
    this.hubUrl = `http://127.0.0.1:${(this.hub.address() as AddressInfo).port}`;
    this.cdnUrl = `http://127.0.0.1:${(this.cdn.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([this.hub, this.cdn].map((s) => new Promise((r) => s.close(r))));
  }

  private record(server: 'hub' | 'cdn', q: http.IncomingMessage): void {
    this.log.push({ server, method: q.method ?? '', url: q.url ?? '', authorization: !!q.headers.authorization, range: q.headers.range });
  }

  private error(s: http.ServerResponse, status: number, code?: string, message?: string): void {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (code) headers['x-error-code'] = code;
    if (message) headers['x-error-message'] = message;
    s.writeHead(status, headers).end(JSON.stringify({ error: message ?? code ?? 'error' }));
  }

  private token(q: http.IncomingMessage): string | undefined {
    const a = q.headers.authorization;
    return a?.startsWith('Bearer ') ? a.slice(7) : undefined;
  }

  /** the repository a path names, or an error answer already sent */
  private repoFor(q: http.IncomingMessage, s: http.ServerResponse, id: string): StoredRepo | undefined {
    const r = this.repos.get(id);
    const tok = this.token(q);
    if (!r || (r.spec.privateToken && tok !== r.spec.privateToken)) {
      // as the Hub: 401 without a token, 404 with one, RepoNotFound either way
      this.error(s, tok ? 404 : 401, 'RepoNotFound', 'Repository not found');
      return undefined;
    }
    return r;
  }

  private commitOf(r: StoredRepo, rev: string): string | undefined {
    return rev === 'main' || rev === r.commit ? r.commit : undefined;
  }

  private onHub(q: http.IncomingMessage, s: http.ServerResponse): void {
    this.record('hub', q);
    const url = new URL(q.url ?? '/', this.hubUrl);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'api' && parts[1] === 'models') {
      const id = `${parts[2]}/${parts[3]}`;
      if (this.renamed.has(id)) {
        s.writeHead(307, { location: url.pathname.replace(`/${id}/`, `/${this.renamed.get(id)}/`) + url.search }).end();
        return;
      }
      const r = this.repoFor(q, s, id);
      if (!r) return;
      const commit = this.commitOf(r, parts[5] ?? '');
      if (!commit) return this.error(s, 404, 'RevisionNotFound', 'Invalid rev id');
      if (parts[4] === 'revision') {
        s.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, sha: commit, siblings: [...r.files.keys()].map((rfilename) => ({ rfilename })) }));
        return;
      }
      if (parts[4] === 'tree') {
        const entries = this.treeEntries(r);
        const cursor = Number(url.searchParams.get('cursor') ?? 0);
        const page = entries.slice(cursor, cursor + this.pageSize);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (cursor + this.pageSize < entries.length) {
          const next = new URL(url);
          next.searchParams.set('cursor', String(cursor + this.pageSize));
          headers.link = `<${next.href}>; rel="next"`;
        }
        s.writeHead(200, headers).end(JSON.stringify(page));
        return;
      }
      return this.error(s, 404);
    }
    // /{owner}/{name}/resolve/{rev}/{path...}
    if (parts[2] === 'resolve') {
      const id = `${parts[0]}/${parts[1]}`;
      if (this.renamed.has(id)) {
        s.writeHead(307, { location: url.pathname.replace(`/${id}/`, `/${this.renamed.get(id)}/`) }).end();
        return;
      }
      const r = this.repoFor(q, s, id);
      if (!r) return;
      const commit = this.commitOf(r, parts[3] ?? '');
      if (!commit) return this.error(s, 404, 'RevisionNotFound', 'Invalid rev id');
      const file = parts.slice(4).join('/');
      const tok = this.token(q);
      if (r.spec.gatedToken && tok !== r.spec.gatedToken) {
        return tok ? this.error(s, 403, 'GatedRepo', 'Access to model is restricted') : this.error(s, 401, 'GatedRepo', 'Access to model is restricted');
      }
      const data = r.files.get(file);
      if (!data || this.faults.vanished === file) return this.error(s, 404, 'EntryNotFound', 'Entry not found');
      const u = this.faults.unavailable;
      if (u && u.path === file && u.times > 0) {
        u.times--;
        return this.error(s, 503);
      }
      const isLfs = (r.spec.lfs ?? defaultLfs)(file);
      if (isLfs) {
        s.writeHead(302, {
          location: `${this.cdnUrl}/blobs/${sha256(data)}?file=${encodeURIComponent(file)}&repo=${encodeURIComponent(id)}&X-Amz-Signature=abc`,
          'x-repo-commit': commit,
          'x-linked-etag': `"${sha256(data)}"`,
          'x-linked-size': String(data.length),
        }).end();
        return;
      }
      this.send(q, s, file, data, { 'x-repo-commit': commit, etag: `"${gitBlobId(data)}"` });
      return;
    }
    this.error(s, 404);
  }

  private onCdn(q: http.IncomingMessage, s: http.ServerResponse): void {
    this.record('cdn', q);
    const url = new URL(q.url ?? '/', this.cdnUrl);
    const r = this.repos.get(url.searchParams.get('repo') ?? '');
    const file = url.searchParams.get('file') ?? '';
    const data = r?.files.get(file);
    if (!data || sha256(data) !== url.pathname.split('/').pop()) return this.error(s, 404);
    this.send(q, s, file, data, {});
  }

  private treeEntries(r: StoredRepo): Array<Record<string, unknown>> {
    const dirs = new Set<string>();
    const out: Array<Record<string, unknown>> = [];
    for (const [p, data] of [...r.files].sort(([a], [b]) => a.localeCompare(b))) {
      const segs = p.split('/');
      for (let i = 1; i < segs.length; i++) {
        const d = segs.slice(0, i).join('/');
        if (!dirs.has(d)) {
          dirs.add(d);
          out.push({ type: 'directory', oid: gitBlobId(Buffer.from(d)), size: 0, path: d });
        }
      }
      if ((r.spec.lfs ?? defaultLfs)(p)) {
        const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(data)}\nsize ${data.length}\n`);
        out.push({ type: 'file', oid: gitBlobId(pointer), size: data.length, path: p, lfs: { oid: sha256(data), size: data.length, pointerSize: pointer.length } });
      } else out.push({ type: 'file', oid: gitBlobId(data), size: data.length, path: p });
    }
    return out;
  }

  /** the file (or the asked range), with the faults switched on for it */
  private send(q: http.IncomingMessage, s: http.ServerResponse, file: string, data: Buffer, headers: Record<string, string>): void {
    let body = data;
    const c = this.faults.corrupt;
    if (c && c.path === file && c.times > 0) {
      c.times--;
      body = Buffer.from(data);
      body[Math.floor(body.length / 2)] ^= 0xff;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(q.headers.range ?? '');
    if (m && !this.faults.ignoreRange) {
      start = Number(m[1]);
      if (start >= data.length) {
        s.writeHead(416, { 'content-range': `bytes */${data.length}` }).end();
        return;
      }
      s.writeHead(206, { ...headers, 'content-length': String(data.length - start), 'content-range': `bytes ${start}-${data.length - 1}/${data.length}`, 'accept-ranges': 'bytes' });
    } else s.writeHead(200, { ...headers, 'content-length': String(data.length), 'accept-ranges': 'bytes' });
    const rest = body.subarray(start);
    const d = this.faults.drop;
    if (d && d.path === file && d.times > 0 && rest.length > d.afterBytes) {
      d.times--;
      s.write(rest.subarray(0, d.afterBytes), () => setTimeout(() => s.socket?.destroy(), 20));
      return;
    }
    const slow = this.faults.slow;
    if (slow && slow.path === file) {
      let at = 0;
      const tick = () => {
        if (s.destroyed || s.socket?.destroyed) return;
        if (at >= rest.length) return void s.end();
        s.write(rest.subarray(at, at + slow.chunk));
        at += slow.chunk;
        setTimeout(tick, slow.everyMs);
      };
      tick();
      return;
    }
    s.end(rest);
  }
}
