/**
 * A .nupkg with the layout of Microsoft.ML.OnnxRuntime.Gpu.Linux: a .nuspec
 * and runtimes/linux-x64/native/*.so (here fake ELF files with the NEEDED
 * entries of a CUDA 12 build), optionally written with zip64 records as
 * large packages are; and a local NuGet v3 feed that serves it.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { writeZip } from '../../../zipWriter';
import { fakeSharedLibrary } from './fakeElf';

export const CUDA12_NEEDS = ['libcublasLt.so.12', 'libcublas.so.12', 'libcudnn.so.9', 'libcurand.so.10', 'libcufft.so.11', 'libcudart.so.12'];

export interface FakePackageOptions {
  id?: string;
  version?: string;
  zip64?: boolean;
  /** leave an entry out */
  without?: string;
  /** replace an entry's bytes */
  replace?: Record<string, Buffer>;
  /** damage an entry's stored bytes after its CRC is computed */
  corrupt?: string;
}

/** bytes deflate cannot shrink, so the package has a real size to download and cut */
function noise(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export function fakeCudaPackage(o: FakePackageOptions = {}): Buffer {
  const id = o.id ?? 'Microsoft.ML.OnnxRuntime.Gpu.Linux';
  const version = o.version ?? '1.30.0';
  const native = 'runtimes/linux-x64/native/';
  const entries = [
    { name: `${id}.nuspec`, data: Buffer.from(`<?xml version="1.0"?>\n<package><metadata><id>${id}</id><version>${version}</version></metadata></package>\n`) },
    { name: `${native}libonnxruntime.so`, data: fakeSharedLibrary({ soname: 'libonnxruntime.so.1' }) },
    { name: `${native}libonnxruntime_providers_shared.so`, data: fakeSharedLibrary({ soname: 'libonnxruntime_providers_shared.so', needed: ['libc.so.6'] }) },
    { name: `${native}libonnxruntime_providers_cuda.so`, data: Buffer.concat([fakeSharedLibrary({ soname: 'libonnxruntime_providers_cuda.so', needed: [...CUDA12_NEEDS, 'libonnxruntime_providers_shared.so', 'libstdc++.so.6', 'libc.so.6'], runpath: '$ORIGIN' }), noise(200_000)]) },
    { name: `${native}libonnxruntime_providers_tensorrt.so`, data: fakeSharedLibrary({ needed: ['libnvinfer.so.10'] }) },
  ]
    .filter((e) => e.name !== o.without)
    .map((e) => (o.replace?.[e.name] ? { ...e, data: o.replace[e.name]! } : e));
  return writeZip(entries, { zip64: o.zip64, corrupt: o.corrupt });
}

/** A NuGet v3 feed on 127.0.0.1: service index, flat container, registration leaf and catalog entry (packageHash). */
export class NugetServer {
  packages = new Map<string, Buffer>();
  /** publish a registration (and so a SHA-512) */
  registration = true;
  /** publish a wrong hash */
  wrongHash = false;
  /** drop the nupkg connection after this many bytes, this many times */
  drop?: { afterBytes: number; times: number };
  readonly log: string[] = [];
  /** called as a package request arrives, with its Range header */
  onPackageRequest?: (range: string | undefined) => void;
  private server!: http.Server;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((q, s) => this.onRequest(q, s));
    this.server.on('connection', (c) => c.unref());
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): void {
    this.server.close();
  }

  private json(s: http.ServerResponse, v: unknown, gzip = false): void {
    const body = Buffer.from(JSON.stringify(v));
    if (gzip) s.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(zlib.gzipSync(body));
    else s.writeHead(200, { 'content-type': 'application/json' }).end(body);
  }

  private onRequest(q: http.IncomingMessage, s: http.ServerResponse): void {
    this.log.push(`${q.method} ${q.url} ${q.headers.range ?? ''}`.trim());
    const url = q.url ?? '/';
    if (url === '/v3/index.json') {
      const resources = [{ '@id': `${this.url}/v3-flatcontainer/`, '@type': 'PackageBaseAddress/3.0.0' }];
      if (this.registration) resources.push({ '@id': `${this.url}/v3/registration5-gz-semver2/`, '@type': 'RegistrationsBaseUrl/3.6.0' });
      return this.json(s, { version: '3.0.0', resources });
    }
    let m = /^\/v3-flatcontainer\/([^/]+)\/index\.json$/.exec(url);
    if (m) {
      const versions = [...this.packages.keys()].filter((k) => k.startsWith(`${m![1]}/`)).map((k) => k.split('/')[1]);
      if (!versions.length) return void s.writeHead(404).end();
      return this.json(s, { versions });
    }
    m = /^\/v3-flatcontainer\/([^/]+)\/([^/]+)\/[^/]+\.nupkg$/.exec(url);
    if (m) {
      const data = this.packages.get(`${m[1]}/${m[2]}`);
      if (!data) return void s.writeHead(404).end();
      if (q.method !== 'HEAD') this.onPackageRequest?.(q.headers.range);
      const r = /bytes=(\d+)-/.exec(q.headers.range ?? '');
      const start = r ? Number(r[1]) : 0;
      if (q.method === 'HEAD') return void s.writeHead(200, { 'content-length': String(data.length) }).end();
      if (r) s.writeHead(206, { 'content-length': String(data.length - start), 'content-range': `bytes ${start}-${data.length - 1}/${data.length}` });
      else s.writeHead(200, { 'content-length': String(data.length) });
      const rest = data.subarray(start);
      if (this.drop && this.drop.times > 0 && rest.length > this.drop.afterBytes) {
        this.drop.times--;
        s.write(rest.subarray(0, this.drop.afterBytes), () => setTimeout(() => s.socket?.destroy(), 10));
        return;
      }
      return void s.end(rest);
    }
    m = /^\/v3\/registration5-gz-semver2\/([^/]+)\/([^/]+)\.json$/.exec(url);
    if (m && this.registration) {
      return this.json(s, { '@id': url, catalogEntry: `${this.url}/v3/catalog0/data/${m[1]}.${m[2]}.json`, packageContent: `${this.url}/v3-flatcontainer/${m[1]}/${m[2]}/${m[1]}.${m[2]}.nupkg` }, true);
    }
    m = /^\/v3\/catalog0\/data\/(.+)\.(\d+\.\d+\.\d+)\.json$/.exec(url);
    if (m) {
      const data = this.packages.get(`${m[1]}/${m[2]}`);
      if (!data) return void s.writeHead(404).end();
      const hash = createHash('sha512').update(this.wrongHash ? Buffer.from('other') : data).digest('base64');
      return this.json(s, { packageHash: hash, packageHashAlgorithm: 'SHA512', packageSize: data.length });
    }
    s.writeHead(404).end();
  }
}
