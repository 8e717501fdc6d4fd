// Compares vector KNN options for the search index at N x 768 (issue 5, docs/search.md):
// sqlite-vec vec0 bit KNN + float re-scoring, sqlite-vec int8 exact, and a JavaScript
// Hamming scan over sign bits + float re-scoring, each against the exact float32 top 10.
//   node bench/searchVectorOptions.mjs [N] [random|clustered] [sql]
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const sqlite3 = require('sqlite3');
const vec = require('sqlite-vec');
const N = +process.argv[2] || 100000, D = 768, Q = 30, K = 10;
function rng(seed){ let s=seed>>>0; return ()=>{ s^=s<<13; s>>>=0; s^=s>>17; s^=s<<5; s>>>=0; return s/4294967296; }; }
const r = rng(42);
function gauss(){ let u=r()||1e-9, v=r(); return Math.sqrt(-2*Math.log(u))*Math.cos(2*Math.PI*v); }
function norm(a){ let s=0; for(const x of a) s+=x*x; s=1/Math.sqrt(s); for(let i=0;i<a.length;i++) a[i]*=s; return a; }
// clustered: 1000 centroids, vector = centroid + noise
const mode = process.argv[3] || 'random';
const C = mode==='clustered' ? Array.from({length:1000},()=>norm(Float32Array.from({length:D},gauss))) : null;
const vecs = new Float32Array(N*D);
for (let i=0;i<N;i++){ const v=vecs.subarray(i*D,(i+1)*D); if(C){ const c=C[i%1000]; for(let j=0;j<D;j++) v[j]=c[j]+0.8*gauss()/Math.sqrt(D)*Math.sqrt(D)*0.05; } else for(let j=0;j<D;j++) v[j]=gauss(); norm(v); }
const queries = Array.from({length:Q},(_,q)=>{ const v=new Float32Array(D); if(C){ const c=C[(q*37)%1000]; for(let j=0;j<D;j++) v[j]=c[j]+0.05*gauss(); } else for(let j=0;j<D;j++) v[j]=gauss(); return norm(v); });
function exact(q){ const s=new Float32Array(N); for(let i=0;i<N;i++){ let d=0; const o=i*D; for(let j=0;j<D;j++) d+=vecs[o+j]*q[j]; s[i]=d; } return topk(s,K); }
function topk(s,k){ const idx=Array.from(s.keys()); idx.sort((a,b)=>s[b]-s[a]); return idx.slice(0,k); }
// binary codes
const W = D/32; const bits = new Uint32Array(N*W);
for(let i=0;i<N;i++) for(let j=0;j<D;j++) if(vecs[i*D+j]>0) bits[i*W+(j>>5)] |= (1<<(j&31));
function pc(x){ x = x - ((x >>> 1) & 0x55555555); x = (x & 0x33333333) + ((x >>> 2) & 0x33333333); return (((x + (x >>> 4)) & 0x0F0F0F0F) * 0x01010101) >>> 24; }
function binScan(q, cand){
  const qb=new Uint32Array(W); for(let j=0;j<D;j++) if(q[j]>0) qb[j>>5]|=(1<<(j&31));
  const h=new Uint16Array(N); for(let i=0;i<N;i++){ let d=0; const o=i*W; for(let w=0;w<W;w++) d+=pc(bits[o+w]^qb[w]); h[i]=d; }
  // counting select of cand smallest
  const hist=new Uint32Array(D+1); for(let i=0;i<N;i++) hist[h[i]]++;
  let t=0, acc=0; while(acc+hist[t]<cand) acc+=hist[t++];
  const out=[]; for(let i=0;i<N;i++) if(h[i]<=t) out.push(i);
  // float rescoring
  const sc=out.map(i=>{ let d=0; const o=i*D; for(let j=0;j<D;j++) d+=vecs[o+j]*q[j]; return [i,d]; }); sc.sort((a,b)=>b[1]-a[1]); return sc.slice(0,K).map(x=>x[0]);
}
// int8 scan
const i8=new Int8Array(N*D); for(let i=0;i<N*D;i++) i8[i]=Math.max(-127,Math.min(127,Math.round(vecs[i]*127*4)));
function i8Scan(q,cand){ const qi=new Int8Array(D); for(let j=0;j<D;j++) qi[j]=Math.max(-127,Math.min(127,Math.round(q[j]*127*4)));
  const s=new Float32Array(N); for(let i=0;i<N;i++){ let d=0; const o=i*D; for(let j=0;j<D;j++) d+=i8[o+j]*qi[j]; s[i]=d; } return topk(s,K); }
function recall(a,b){ const s=new Set(b); return a.filter(x=>s.has(x)).length/b.length; }
function pct(a,p){ a=[...a].sort((x,y)=>x-y); return a[Math.min(a.length-1,Math.floor(p*a.length))]; }
const truth = queries.map(exact);
for (const cand of (process.env.CANDS||"200,500,1000,2000").split(",").map(Number)) {
  const t=[], rc=[]; for(let q=0;q<Q;q++){ const s=performance.now(); const res=binScan(queries[q],cand); t.push(performance.now()-s); rc.push(recall(res,truth[q])); }
  console.log(mode,N,'JS bits+f32 rescore cand',cand,'p50',pct(t,.5).toFixed(1),'p95',pct(t,.95).toFixed(1),'recall',(rc.reduce((a,b)=>a+b)/Q).toFixed(3));
}
if(0){ const t=[], rc=[]; for(let q=0;q<10;q++){ const s=performance.now(); const res=i8Scan(queries[q]); t.push(performance.now()-s); rc.push(recall(res,truth[q])); }
  console.log(mode,N,'JS int8 full scan p50',pct(t,.5).toFixed(1),'p95',pct(t,.95).toFixed(1),'recall',(rc.reduce((a,b)=>a+b)/10).toFixed(3)); }
// sqlite-vec bit
if (process.argv[4]==='sql') {
const db=new sqlite3.Database(':memory:');
db.loadExtension(vec.getLoadablePath(), async (e)=>{ if(e) throw e;
  const run=(s,p=[])=>new Promise((res,rej)=>db.run(s,p,function(e){e?rej(e):res(this)}));
  const all=(s,p=[])=>new Promise((res,rej)=>db.all(s,p,(e,r)=>e?rej(e):res(r)));
  await run('create virtual table vb using vec0(embedding bit[768])');
  await run('create virtual table vi using vec0(embedding int8[768] distance_metric=cosine)');
  await run('create table vf(id integer primary key, v blob)');
  let t0=performance.now(); await run('begin');
  const st1=db.prepare('insert into vb(rowid,embedding) values(?,vec_bit(?))'), st2=db.prepare('insert into vi(rowid,embedding) values(?,vec_int8(?))'), st3=db.prepare('insert into vf values(?,?)');
  for(let i=0;i<N;i++){ const b=Buffer.from(bits.buffer,i*W*4,W*4); st1.run(i+1,b); st2.run(i+1,Buffer.from(i8.buffer,i*D,D)); st3.run(i+1,Buffer.from(vecs.buffer,i*D*4,D*4)); }
  await new Promise(r=>st1.finalize(()=>st2.finalize(()=>st3.finalize(r)))); await run('commit'); console.log('insert',(performance.now()-t0).toFixed(0),'ms');
  for (const cand of [200,500,1000]) { const t=[], rc=[]; for(let q=0;q<Q;q++){ const qq=queries[q]; const qb=new Uint32Array(W); for(let j=0;j<D;j++) if(qq[j]>0) qb[j>>5]|=(1<<(j&31));
    const s=performance.now();
    const rows=await all(`with c as (select rowid from vb where embedding match vec_bit(?) and k=${cand}) select id, vec_distance_cosine(v, ?) d from vf where id in (select rowid from c) order by d limit ${K}`,[Buffer.from(qb.buffer), Buffer.from(qq.buffer)]);
    t.push(performance.now()-s); rc.push(recall(rows.map(r=>r.id-1),truth[q])); }
    console.log(mode,N,'sqlite-vec bit+f32 rescore cand',cand,'p50',pct(t,.5).toFixed(1),'p95',pct(t,.95).toFixed(1),'recall',(rc.reduce((a,b)=>a+b)/Q).toFixed(3)); }
  { const t=[], rc=[]; for(let q=0;q<10;q++){ const qq=queries[q]; const qi=new Int8Array(D); for(let j=0;j<D;j++) qi[j]=Math.max(-127,Math.min(127,Math.round(qq[j]*127*4)));
    const s=performance.now(); const rows=await all(`select rowid id from vi where embedding match vec_int8(?) and k=${K}`,[Buffer.from(qi.buffer)]); t.push(performance.now()-s); rc.push(recall(rows.map(r=>r.id-1),truth[q])); }
    console.log(mode,N,'sqlite-vec int8 exact p50',pct(t,.5).toFixed(1),'p95',pct(t,.95).toFixed(1),'recall',(rc.reduce((a,b)=>a+b)/10).toFixed(3)); }
});
}
