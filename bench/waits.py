#!/usr/bin/env python3
# Reads a `perf sched record -g` of bench/waits.sh's loop and prints, per
# run, the CPU time and the uninterruptible (D-state: disk, RCU grace
# periods, kernel locks) waits of the loop's process tree, by process and
# by the kernel stack where each wait began. Load-independent enough to
# compare builds on a shared machine: these waits are the run's own.
# usage: waits.py PERF_DATA RUNS ROOT_PID [TOP]
import sys, re, subprocess, collections
data = sys.argv[1]; nruns = int(sys.argv[2]); root = int(sys.argv[3])
forks = subprocess.run(['perf','script','-i',data,'-F','comm,pid,tid,event,trace'],capture_output=True,text=True).stdout
children = collections.defaultdict(list)
for l in forks.splitlines():
    m = re.search(r'sched:sched_process_fork: comm=.* pid=(\d+) child_comm=.* child_pid=(\d+)', l)
    if m: children[int(m.group(1))].append(int(m.group(2)))
tree=set(); st=[root]
while st:
    p=st.pop()
    if p in tree: continue
    tree.add(p); st.extend(children[p])
out = subprocess.run(['perf','sched','timehist','-i',data,'--state','-g','--max-stack=30'],capture_output=True,text=True).stdout
last = {}; acc = collections.Counter(); bycomm = collections.Counter(); run = collections.Counter(); delay=collections.Counter()
skip = ('schedule','io_schedule','schedule_timeout','io_schedule_timeout','wait_for_completion_io_timeout','submit_bio_wait','__wait_for_common','wait_for_completion_state','schedule_preempt_disabled','__mutex_lock.constprop.0','rwsem_down_read_slowpath','rwsem_down_write_slowpath','exp_funnel_lock','bit_wait_io','__wait_on_bit','out_of_line_wait_on_bit','folio_wait_bit','folio_wait_writeback')
for l in out.splitlines():
    m = re.match(r'\s*[\d.]+ \[\d+\]\s+(.+?)\[(\d+)(?:/(\d+))?\]\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\S)\s*(.*)', l)
    if not m: continue
    comm, tid, wait, d, r, state, stack = m.group(1), int(m.group(2)), float(m.group(4)), float(m.group(5)), float(m.group(6)), m.group(7), m.group(8)
    if tid not in tree: continue
    c = comm.split('[')[0]
    run[c] += r; delay[c] += d
    if tid in last:
        pc, ps, pstk = last[tid]
        if ps == 'D':
            fr = [f for f in pstk.split(' <- ') if f not in skip and f != '[unknown]']
            sysc = next((f for f in fr if f.startswith('__x64_sys_') or f=='exit_to_user_mode_loop' or f=='do_exit'), '?')
            key = '%-13s %-24s %s' % (pc.split('[')[0], sysc, ' <- '.join(fr[:4]))
            acc[key] += wait; bycomm[pc.split('[')[0]] += wait
    last[tid] = (comm, state, stack)
print("per run: cpu ms by comm: " + ", ".join("%s %.1f" % (k, v/nruns) for k,v in run.most_common()))
print("per run: runqueue delay ms by comm: " + ", ".join("%s %.1f" % (k, v/nruns) for k,v in delay.most_common()))
print("per run: D-state ms by comm: " + ", ".join("%s %.1f" % (k, v/nruns) for k,v in bycomm.most_common()) + "  total %.1f" % (sum(bycomm.values())/nruns))
for k,v in acc.most_common(int(sys.argv[4]) if len(sys.argv)>4 else 12):
    print("%6.2f  %s" % (v/nruns, k[:200]))
