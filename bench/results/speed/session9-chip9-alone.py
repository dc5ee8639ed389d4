# Session 9 (branch chip9): which of the calling thread's perf samples fall where the pool worker has none
# (within ±0.4 ms): the work one core does alone. perf record -F 2999 -g … ; perf script -F tid,time,ip,sym > s.txt;
#   python3 bench/results/speed/session9-chip9-alone.py s.txt [window s]
# A spinning worker (FRE_POOL_SPIN_US > 0) counts as busy: measure with FRE_POOL_SPIN_US=0.
import sys, bisect, collections
samples=[]
cur=None
for line in open(sys.argv[1]):
    if line and not line[0].isspace() and line.strip():
        parts=line.split()
        tid=int(parts[0]); t=float(parts[1].rstrip(':'))
        cur=[tid,t,[]]; samples.append(cur)
    elif line.strip() and cur is not None:
        p=line.split(None,1)
        cur[2].append(p[1].strip() if len(p)>1 else '?')
cnt=collections.Counter(s[0] for s in samples)
(main,_),(work,_)=cnt.most_common(2)
wt=sorted(s[1] for s in samples if s[0]==work)
t0,t1=wt[0],wt[-1]
W=float(sys.argv[2]) if len(sys.argv)>2 else 0.0004
alone=collections.Counter(); together=collections.Counter(); nal=0; ntot=0
ctx=collections.Counter()
for tid,t,st in samples:
    if tid!=main or t<t0 or t>t1: continue
    ntot+=1
    i=bisect.bisect_left(wt,t-W)
    busy = i<len(wt) and wt[i]<=t+W
    leaf=st[0] if st else '?'
    js=next((f for f in st if f.startswith('JS:') and 'Interpreter' not in f), '-')
    if not busy:
        nal+=1; alone[leaf]+=1; ctx[js.split(' ')[0]+' '+js.split(' ')[1].split('/')[-1] if ' ' in js else js]+=1
print('main samples in window',ntot,'alone',nal, 'worker samples', len(wt), 'window s', t1-t0)
for k,v in alone.most_common(25): print('%6d %s'%(v,k[:100]))
print('--- by innermost JS frame')
for k,v in ctx.most_common(30): print('%6d %s'%(v,k[:120]))
