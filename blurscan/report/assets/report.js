// report.html's script: renders the page of rows in view from the JSON in <script id="data">.
// Data reaches the page only through textContent, setAttribute of fixed names, and href/src
// values the writer made with html_href (or data:image/jpeg URIs it encoded itself).
// The keys of each video and of `meta` are named in blurscan/report/html.py (video_entry, _meta).
(()=>{'use strict';
const D=JSON.parse(document.getElementById('data').textContent),V=D.videos,M=D.meta,T=M.words;
const A='ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',SOFT='#7f8fa6';
const SC={mild:'#f6c85f',moderate:'#f28e2b',severe:'#d62728'};
const NS='http://www.w3.org/2000/svg',tbody=document.querySelector('#videos tbody'),ths=[...document.querySelectorAll('#videos th[data-k]')];
const COLUMNS=ths.length+1;
const q=V.map(v=>(v.path+' '+(v.error||'')).toLowerCase());
let view=V.map((_,i)=>i),key=null,asc=true,page=0;const open=new Set();
function el(tag,cls,txt){const e=document.createElement(tag);if(cls)e.className=cls;if(txt!=null)e.textContent=String(txt);return e;}
function fmt(x,d){return x==null?'–':(typeof x==='number'&&d!=null?x.toFixed(d):String(x));}
function rank(code){const i=M.severity_codes.indexOf(code);return i<0?0:i;}
function sevLabel(v){return v.status==='error'?M.severity_labels.error:(M.severity_labels[v.severity]||v.severity);}
function curve(v){const s=v.curve||'',n=M.curve_chars,out=[];for(let i=0;i+n<=s.length;i+=n){const c=s.substr(i,n);
  if(c[0]==='.'){out.push(null);continue;}out.push(n===1?A.indexOf(c)/63:(A.indexOf(c[0])*64+A.indexOf(c[1]))/4095);}return out;}
function svg(v,cls,w,h){const pts=curve(v),s=document.createElementNS(NS,'svg');s.setAttribute('class',cls);
  s.setAttribute('viewBox','0 0 '+w+' '+h);s.setAttribute('preserveAspectRatio','none');
  const kn=v.curve_frames||v.frames||1;const band=(a,b,fill,op)=>{const r=document.createElementNS(NS,'rect');
    const x0=a/kn*w,x1=(b+1)/kn*w;r.setAttribute('x',x0);r.setAttribute('width',Math.max(1,x1-x0));
    r.setAttribute('y',0);r.setAttribute('height',h);r.setAttribute('fill',fill);r.setAttribute('opacity',op);s.appendChild(r);};
  for(const o of (v.soft_shots||[]))if(o.start_frame!=null&&o.end_frame!=null){band(o.start_frame,o.end_frame,SOFT,'0.3');
    if(cls==='curve')[[o.detail,'#33415c','6 4'],[o.level,'#6b2d5c','2 3']].forEach(([val,colour,dash])=>{if(val==null)return;
      const l=document.createElementNS(NS,'line'),y=((1-val)*(h-2)+1).toFixed(1);
      l.setAttribute('x1',(o.start_frame/kn*w).toFixed(1));l.setAttribute('x2',((o.end_frame+1)/kn*w).toFixed(1));
      l.setAttribute('y1',y);l.setAttribute('y2',y);l.setAttribute('stroke',colour);l.setAttribute('stroke-width','2');
      l.setAttribute('stroke-dasharray',dash);l.setAttribute('vector-effect','non-scaling-stroke');s.appendChild(l);});}
  for(const g of (v.events||[]))band(g.start_frame,g.end_frame,SC[g.severity]||SC.severe,'0.45');
  if(pts.length){let d='',pen=false;const dx=w/Math.max(1,pts.length-1);
    pts.forEach((p,i)=>{if(p==null){pen=false;return;}d+=(pen?'L':'M')+(pts.length===1?0:i*dx).toFixed(1)+' '+((1-p)*(h-2)+1).toFixed(1);pen=true;});
    const p=document.createElementNS(NS,'path');p.setAttribute('d',d);p.setAttribute('fill','none');p.setAttribute('stroke','#1f77b4');
    p.setAttribute('stroke-width',cls==='spark'?'1':'1.5');p.setAttribute('vector-effect','non-scaling-stroke');s.appendChild(p);}
  return s;}
function tc(x,d){if(d<20)return x.toFixed(d<2?2:1)+' s';x=Math.round(x);const h=Math.floor(x/3600),m=Math.floor(x%3600/60),s=x%60;
  return (h?h+':'+String(m).padStart(2,'0'):m)+':'+String(s).padStart(2,'0');}
function axis(d){const a=el('div','axis');a.setAttribute('aria-label',T.time_axis);if(d==null)return a;for(let i=0;i<=4;i++)a.appendChild(el('span',null,tc(d*i/4,d)));return a;}
function links(v){const td=el('td');(v.files||[]).forEach((f,i)=>{if(i)td.append(' · ');const a=el('a',null,f.label);a.href=f.href;td.appendChild(a);});return td;}
function thumbsCell(list){const c=el('td');(list||[]).forEach(th=>{const f=el('figure','thumb');f.style.margin='0 6px 0 0';
    const im=el('img');im.alt=th.label;im.src=th.src;im.loading='lazy';f.appendChild(im);
    f.appendChild(el('figcaption',null,th.label+(th.time!==''?' @ '+th.time:'')));c.appendChild(f);});return c;}
function size(v){return v.effective_width&&v.effective_height?v.effective_width+'x'+v.effective_height+(v.detail!=null?' ('+Math.round(v.detail*100)+' %)':''):(v.detail!=null?Math.round(v.detail*100)+' %':'–');}
function arrow(deg){const s=document.createElementNS(NS,'svg');s.setAttribute('class','arrow');s.setAttribute('viewBox','0 0 20 20');
  s.setAttribute('width','20');s.setAttribute('height','20');const a=deg*Math.PI/180,dx=8*Math.cos(a),dy=-8*Math.sin(a);
  const l=document.createElementNS(NS,'line');l.setAttribute('x1',(10-dx).toFixed(2));l.setAttribute('y1',(10-dy).toFixed(2));
  l.setAttribute('x2',(10+dx).toFixed(2));l.setAttribute('y2',(10+dy).toFixed(2));l.setAttribute('stroke','#333');l.setAttribute('stroke-width','2');
  l.setAttribute('stroke-linecap','round');s.appendChild(l);const t=document.createElementNS(NS,'title');t.textContent=fmt(deg,0)+'°';s.appendChild(t);return s;}
function causeCell(o){const c=el('td','cause');if(o.angle!=null)c.appendChild(arrow(o.angle));c.appendChild(el('span',null,o.cause_text||''));return c;}
function causeOf(v){return v.cause?(M.cause_labels[v.cause]||v.cause):'–';}
function table(cls,heads){const t=el('table',cls),h=el('tr');heads.forEach(w=>h.appendChild(el('th',null,T[w])));t.appendChild(h);return t;}
function detail(v){const tr=el('tr','detail'),td=el('td');td.colSpan=COLUMNS;tr.appendChild(td);
  if(v.status==='error'){td.appendChild(el('div','error',v.error));return tr;}
  td.appendChild(el('div','muted',T.scores_over_time));td.appendChild(svg(v,'curve',1000,140));td.appendChild(axis(v.duration_s));
  if((v.soft_shots||[]).length)td.appendChild(el('div','muted soft',T.soft_legend));
  td.appendChild(el('div',null,T.verdict+': '+v.verdict+' · '+T.severity+': '+sevLabel(v)+(v.effective_text?' · '+T.effective_resolution+': '+v.effective_text:'')));
  const soft=v.soft_shots||[],events=v.events||[];
  if(soft.length){td.appendChild(el('div','soft',T.soft_throughout+' ('+T.soft_shots+': '+soft.length+')'));
    const t=table('segs soft',['shot','start','end','duration','frames','severity','cause','effective_resolution','reason','thumbnails']);
    soft.forEach(o=>{const r=el('tr');r.appendChild(el('td','num',fmt(o.shot)));r.appendChild(el('td',null,o.start_tc));r.appendChild(el('td',null,o.end_tc));
      r.appendChild(el('td','num',fmt(o.duration_s,3)+' s'));r.appendChild(el('td','num',fmt(o.start_frame)+'–'+fmt(o.end_frame)));
      r.appendChild(el('td','sev'+rank(o.severity),M.severity_labels[o.severity]||''));r.appendChild(causeCell(o));
      r.appendChild(el('td',null,o.size_text));r.appendChild(el('td',null,o.reason));r.appendChild(thumbsCell(o.thumbnails));t.appendChild(r);});
    td.appendChild(t);}
  if(events.length){td.appendChild(el('div',null,T.blur_events+' ('+events.length+')'));
    const t=table('segs events',['segment','start','end','duration','frames','severity','cause','worst_score','thumbnails']);
    events.forEach((g,i)=>{const r=el('tr');r.appendChild(el('td','num',i+1));r.appendChild(el('td',null,g.start_tc));r.appendChild(el('td',null,g.end_tc));
      r.appendChild(el('td','num',fmt(g.duration_s,3)+' s'));r.appendChild(el('td','num',g.start_frame+'–'+g.end_frame));
      r.appendChild(el('td','sev'+rank(g.severity),M.severity_labels[g.severity]||''));r.appendChild(causeCell(g));
      r.appendChild(el('td','num',fmt(g.min_score,4)));r.appendChild(thumbsCell(g.thumbnails));t.appendChild(r);});td.appendChild(t);}
  else td.appendChild(el('div','muted',T.no_blur_events));
  if(v.recommendations&&v.recommendations.length){td.appendChild(el('div',null,T.recommendations+':'));const ul=el('ul');
    v.recommendations.forEach(i=>ul.appendChild(el('li',null,M.recommendations[i])));td.appendChild(ul);}
  if(v.other_fields){td.appendChild(el('div','muted',T.other_fields+': '+Object.entries(v.other_fields).map(e=>e[0]+' = '+e[1]).join(' · ')));}
  return tr;}
function row(i){const v=V[i],tr=el('tr');tr.dataset.i=i;const c=el('td'),b=el('button','tog',open.has(i)?'▾':'▸');b.type='button';
  b.setAttribute('aria-expanded',open.has(i)?'true':'false');b.title=T.details;
  b.addEventListener('click',()=>{open.has(i)?open.delete(i):open.add(i);render();});
  c.appendChild(b);c.appendChild(el('span','path',v.path));if(v.status==='error')c.appendChild(el('div','error',v.error));else if(v.curve)c.appendChild(svg(v,'spark',220,28));tr.appendChild(c);
  const sev=v.status==='error'?4:rank(v.severity);
  tr.appendChild(el('td','sev'+sev,sevLabel(v)+(v.blurry_throughout?' ('+T.blurry_throughout+')':'')));
  tr.appendChild(el('td','num',fmt(v.blur_ratio,4)));tr.appendChild(el('td','num',fmt(v.event_count)));tr.appendChild(el('td','num',fmt(v.soft_shot_count)));tr.appendChild(el('td',null,causeOf(v)));
  tr.appendChild(el('td','num',fmt(v.confidence,3)));tr.appendChild(el('td','num',fmt(v.frames)));tr.appendChild(el('td','num eff',size(v)));
  tr.appendChild(el('td','num',fmt(v.duration_s,2)));tr.appendChild(links(v));return tr;}
function render(){const n=view.length,pages=Math.max(1,Math.ceil(n/M.page));page=Math.min(page,pages-1);
  const f=document.createDocumentFragment(),a=page*M.page,b=Math.min(n,a+M.page);
  for(let j=a;j<b;j++){const i=view[j];f.appendChild(row(i));if(open.has(i))f.appendChild(detail(V[i]));}
  if(!n){const tr=el('tr'),td=el('td','muted',T.no_videos_match);td.colSpan=COLUMNS;tr.appendChild(td);f.appendChild(tr);}
  tbody.replaceChildren(f);
  document.getElementById('count').textContent=T.showing+' '+(n?a+1:0)+'–'+b+' '+T.of+' '+n;
  document.getElementById('pageinfo').textContent=(page+1)+' / '+pages;
  document.getElementById('prev').disabled=page===0;document.getElementById('next').disabled=page>=pages-1;}
const KC={};
function keyOf(k){if(KC[k])return KC[k];const a=new Float64Array(V.length);
  if(k==='path'){V.map((_,i)=>i).sort((x,y)=>V[x].path<V[y].path?-1:V[x].path>V[y].path?1:x-y).forEach((i,r)=>{a[i]=r;});}
  else if(k==='cause'){V.map((_,i)=>i).sort((x,y)=>causeOf(V[x])<causeOf(V[y])?-1:causeOf(V[x])>causeOf(V[y])?1:x-y).forEach((i,r)=>{a[i]=r;});}
  else if(k==='effective'){for(let i=0;i<V.length;i++){const v=V[i];a[i]=v.effective_width&&v.effective_height?v.effective_width*v.effective_height:-Infinity;}}
  else if(k==='severity'){for(let i=0;i<V.length;i++){const v=V[i];a[i]=v.status==='error'?-1:rank(v.severity)*2+(v.blur_ratio||0);}}
  else for(let i=0;i<V.length;i++){const x=V[i][k];a[i]=x==null?-Infinity:x;}
  return KC[k]=a;}
function apply(){const text=document.getElementById('filter').value.trim().toLowerCase(),sev=document.getElementById('severity').value,cause=document.getElementById('cause').value;
  let idx=[];for(let i=0;i<V.length;i++){const v=V[i],s=v.status==='error'?'error':v.severity;
    if(cause&&!(v.causes||[]).includes(cause))continue;
    if(sev==='soft'?!v.soft_shot_count:sev==='blur'?!(v.status!=='error'&&rank(s)>=1):(sev!==''&&s!==sev))continue;if(text&&!q[i].includes(text))continue;idx.push(i);}
  if(key){const K=keyOf(key),dir=asc?1:-1;idx.sort((x,y)=>dir*(K[x]-K[y])||x-y);}
  view=idx;page=0;render();}
ths.forEach(th=>th.addEventListener('click',()=>{const k=th.dataset.k;asc=key===k?!asc:k==='path';key=k;
  ths.forEach(o=>{o.setAttribute('aria-sort',o===th?(asc?'ascending':'descending'):'none');o.querySelector('.ind').textContent=o===th?(asc?'▲':'▼'):'';});
  apply();}));
document.getElementById('filter').addEventListener('input',apply);document.getElementById('severity').addEventListener('change',apply);document.getElementById('cause').addEventListener('change',apply);
document.getElementById('prev').addEventListener('click',()=>{page--;render();});document.getElementById('next').addEventListener('click',()=>{page++;render();});
if(V.length===1)open.add(0);render();document.body.dataset.ready='1';})();
