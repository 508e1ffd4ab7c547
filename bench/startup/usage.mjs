// Preloaded (`node --import`) into each process the start-up benchmark measures: at exit, writes
// the process's own peak RSS and CPU time to the file named by O2A_BENCH_USAGE.
import { writeFileSync } from 'node:fs';

const file = process.env.O2A_BENCH_USAGE;
if (file) {
  process.once('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: usage.maxRSS, cpuUs: usage.userCPUTime + usage.systemCPUTime }));
  });
}
