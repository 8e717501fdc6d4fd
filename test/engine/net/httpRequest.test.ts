import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { httpRequest, NetworkError, readBody } from '../../../src/engine/net/httpRequest';
import { bypassesProxy, proxyFor, proxySettings } from '../../../src/engine/net/proxy';
import { downloadFile } from '../../../src/engine/net/resumableDownload';
import { EngineError } from '../../../src/engine/errors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmb-net-'));
const servers: Array<http.Server | net.Server> = [];

async function listen<T extends http.Server | net.Server>(s: T): Promise<number> {
  servers.push(s);
  s.on('connection', (c: net.Socket) => c.unref());
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

after(() => {
  for (const s of servers) s.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** a proxy that forwards absolute-URI requests and CONNECT tunnels, and notes what it saw */
interface ProxyLog {
  kind: 'forward' | 'connect';
  target: string;
  auth?: string;
}
async function startProxy(log: ProxyLog[]): Promise<number> {
  const proxy = http.createServer((q, s) => {
    log.push({ kind: 'forward', target: q.url ?? '', auth: q.headers['proxy-authorization'] });
    const u = new URL(q.url ?? '');
    const up = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: q.method, headers: { ...q.headers } }, (r) => {
      s.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(s);
    });
    up.on('error', () => s.destroy());
    q.pipe(up);
  });
  proxy.on('connect', (q: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    log.push({ kind: 'connect', target: q.url ?? '', auth: q.headers['proxy-authorization'] });
    if (q.url?.startsWith('forbidden')) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const [host, port] = (q.url ?? '').split(':');
    const up = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
  });
  return listen(proxy);
}

test('NO_PROXY: host suffixes, wildcards, ports; the lower-case variables win; an explicit proxy replaces the environment', () => {
  const u = (s: string) => new URL(s);
  assert.ok(bypassesProxy(u('https://huggingface.co/x'), ['huggingface.co']));
  assert.ok(bypassesProxy(u('https://cdn.huggingface.co/x'), ['.huggingface.co']));
  assert.ok(bypassesProxy(u('https://cdn.huggingface.co/x'), ['*.huggingface.co']));
  assert.ok(!bypassesProxy(u('https://nothuggingface.co/x'), ['huggingface.co']));
  assert.ok(bypassesProxy(u('http://10.1.2.3:8080/'), ['10.1.2.3:8080']));
  assert.ok(!bypassesProxy(u('http://10.1.2.3:9090/'), ['10.1.2.3:8080']));
  assert.ok(bypassesProxy(u('https://anything/'), ['*']));
  assert.ok(bypassesProxy(u('http://[::1]:80/'), ['::1']));
  const s = proxySettings({ HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2', NO_PROXY: 'a.org, b.org' });
  assert.equal(s.https, 'http://lower:2');
  assert.deepEqual(s.noProxy, ['a.org', 'b.org']);
  assert.equal(proxyFor(u('https://hf.co/'), s)?.host, 'lower:2');
  assert.equal(proxyFor(u('https://a.org/'), s), undefined);
  assert.equal(proxyFor(u('http://hf.co/'), s), undefined, 'no HTTP_PROXY: plain http goes direct');
  const explicit = proxySettings({ HTTPS_PROXY: 'http://env:1' }, { proxy: 'corp-proxy:3128' });
  assert.equal(proxyFor(u('https://hf.co/'), explicit)?.href, 'http://corp-proxy:3128/');
  assert.equal(proxyFor(u('http://hf.co/'), explicit)?.href, 'http://corp-proxy:3128/');
});

test('plain http goes through an http proxy with the absolute URL and proxy credentials', async () => {
  const port = await listen(http.createServer((q, s) => s.end(`hello ${q.url}`)));
  const log: ProxyLog[] = [];
  const proxyPort = await startProxy(log);
  const res = await httpRequest(`http://127.0.0.1:${port}/file?x=1`, { proxy: { http: `http://user:p%40ss@127.0.0.1:${proxyPort}`, noProxy: [] } });
  assert.equal((await readBody(res)).toString(), 'hello /file?x=1');
  assert.equal(log.length, 1);
  assert.equal(log[0]!.target, `http://127.0.0.1:${port}/file?x=1`);
  assert.equal(log[0]!.auth, `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
});

let cert: { key: Buffer; cert: Buffer } | undefined;
before(() => {
  try {
    const key = path.join(tmp, 'key.pem');
    const crt = path.join(tmp, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    cert = { key: fs.readFileSync(key), cert: fs.readFileSync(crt) };
  } catch {
    cert = undefined;
  }
});

test('https goes through a CONNECT tunnel, TLS end to end; a proxy refusal is one clear line', async (t) => {
  if (!cert) return t.skip('openssl is not available to make a test certificate');
  const port = await listen(https.createServer(cert, (q, s) => s.end(`secure ${q.url} ${q.headers.authorization ?? 'no-auth'}`)));
  const log: ProxyLog[] = [];
  const proxyPort = await startProxy(log);
  const proxy = { https: `http://127.0.0.1:${proxyPort}`, noProxy: [] };
  const res = await httpRequest(`https://127.0.0.1:${port}/x`, { proxy, headers: { Authorization: 'Bearer hf_t' }, tls: { ca: cert.cert } });
  assert.equal((await readBody(res)).toString(), 'secure /x Bearer hf_t');
  assert.deepEqual(log.map((l) => [l.kind, l.target]), [['connect', `127.0.0.1:${port}`]]);
  // the certificate is still checked through the tunnel
  await assert.rejects(httpRequest(`https://127.0.0.1:${port}/x`, { proxy }), (e: unknown) => e instanceof NetworkError && /TLS certificate of 127\.0\.0\.1:\d+ through the proxy .* was not accepted/.test(e.message));
  await assert.rejects(
    httpRequest(`https://forbidden:${port}/x`, { proxy, tls: { ca: cert.cert } }),
    (e: unknown) => e instanceof NetworkError && /the proxy http:\/\/127\.0\.0\.1:\d+ refused the connection to forbidden:\d+ \(HTTP 403\)/.test(e.message),
  );
  // NO_PROXY sends it direct
  log.length = 0;
  const direct = await httpRequest(`https://127.0.0.1:${port}/y`, { proxy: { ...proxy, noProxy: ['127.0.0.1'] }, tls: { ca: cert.cert } });
  assert.equal((await readBody(direct)).toString(), 'secure /y no-auth');
  assert.equal(log.length, 0);
});

test('redirects: Authorization stays on the first origin, is dropped for good after leaving it; https never falls to plain http', async () => {
  const seen: Array<[string, string | undefined]> = [];
  const otherPort = await listen(http.createServer((q, s) => {
    seen.push([`other${q.url}`, q.headers.authorization]);
    if (q.url === '/back') return void s.writeHead(302, { location: `http://127.0.0.1:${firstPort}/final` }).end();
    s.end('other');
  }));
  const firstPort: number = await listen(http.createServer((q, s) => {
    seen.push([`first${q.url}`, q.headers.authorization]);
    if (q.url === '/start') return void s.writeHead(307, { location: '/renamed' }).end();
    if (q.url === '/renamed') return void s.writeHead(302, { location: `http://127.0.0.1:${otherPort}/back` }).end();
    s.end('final');
  }));
  const res = await httpRequest(`http://127.0.0.1:${firstPort}/start`, { headers: { authorization: 'Bearer secret' } });
  assert.equal((await readBody(res)).toString(), 'final');
  assert.deepEqual(seen, [
    ['first/start', 'Bearer secret'],
    ['first/renamed', 'Bearer secret'],
    ['other/back', undefined],
    ['first/final', undefined],
  ]);
  assert.equal(res.firstHeaders.location, '/renamed');
  if (!cert) return;
  const port = await listen(https.createServer(cert, (_q, s) => s.writeHead(302, { location: 'http://example.org/x' }).end()));
  await assert.rejects(httpRequest(`https://127.0.0.1:${port}/`, { tls: { ca: cert.cert } }), /redirected to an unencrypted address \(example\.org\); refused/);
});

test('a server that goes silent counts as a dropped connection after the idle time', async () => {
  const port = await listen(http.createServer((_q, s) => {
    s.writeHead(200, { 'content-length': '100' });
    s.write('x'); // and then nothing
  }));
  const res = await httpRequest(`http://127.0.0.1:${port}/`, { idleMs: 150 });
  await assert.rejects(readBody(res));
  const refused = net.createServer();
  const deadPort = await listen(refused);
  refused.close();
  await assert.rejects(httpRequest(`http://127.0.0.1:${deadPort}/`), (e: unknown) => e instanceof NetworkError && e.code === 'ECONNREFUSED' && /refused by 127\.0\.0\.1/.test(e.message));
});

test('resumable download: a partial longer than the file, a server that sends too much, a wrong Content-Range', async () => {
  const data = Buffer.alloc(5000, 9);
  let mode: 'ok' | 'too-much' | 'bad-range' = 'ok';
  const port = await listen(http.createServer((q, s) => {
    const m = /bytes=(\d+)-/.exec(q.headers.range ?? '');
    if (m && Number(m[1]) >= data.length) return void s.writeHead(416).end();
    // chunked, so no Content-Length announces the surplus
    if (mode === 'too-much') return void (s.write(data), s.end(Buffer.alloc(10)));
    if (m && mode === 'bad-range') return void s.writeHead(206, { 'content-range': `bytes 0-${data.length - 1}/${data.length}` }).end(data);
    if (m) return void s.writeHead(206, { 'content-range': `bytes ${m[1]}-${data.length - 1}/${data.length}` }).end(data.subarray(Number(m[1])));
    s.end(data);
  }));
  const { createHash } = await import('node:crypto');
  const spec = (name: string) => ({ url: `http://127.0.0.1:${port}/f`, dest: path.join(tmp, name), size: data.length, label: name, sha256: createHash('sha256').update(data).digest('hex') });
  const opts = { httpError: () => new EngineError('download-failed', 'http'), retryDelayMs: 1 };

  fs.writeFileSync(path.join(tmp, 'long.cmb-partial'), Buffer.alloc(9000, 1));
  await downloadFile(spec('long'), opts);
  assert.deepEqual(fs.readFileSync(path.join(tmp, 'long')), data);

  fs.writeFileSync(path.join(tmp, 'shifted.cmb-partial'), data.subarray(0, 1000));
  mode = 'bad-range';
  await downloadFile(spec('shifted'), opts);
  assert.deepEqual(fs.readFileSync(path.join(tmp, 'shifted')), data);

  mode = 'too-much';
  await assert.rejects(downloadFile(spec('much'), opts), /sent more than the 5000 bytes of much/);
  assert.ok(!fs.existsSync(path.join(tmp, 'much')) && !fs.existsSync(path.join(tmp, 'much.cmb-partial')));

  // a complete partial from an earlier run is verified and renamed without a request
  mode = 'ok';
  fs.writeFileSync(path.join(tmp, 'done.cmb-partial'), data);
  const r = await downloadFile(spec('done'), opts);
  assert.equal(r.fetched, 0);
  assert.equal(r.resumedFrom, data.length);
});
