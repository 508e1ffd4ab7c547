// One `o2a check` of a directory, in a fresh process, as the `o2a` command runs it (the prebuilt
// bundle, bin/bundle.js): prints wall time from process start (module loading included, as a
// user waits for it), CPU time and the peak resident set size.
import { Writable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { bundledCli } from '../../bin/bundle.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: check-once.mjs <dir>');
const { main } = await import(await bundledCli());
let bytes = 0;
const sink = new Writable({ write(chunk, _enc, cb) { bytes += chunk.length; cb(); } });
const checkStart = performance.now();
const cpuStart = process.cpuUsage();
const code = await main(['node', 'o2a', 'check', dir, '--catalog', 'catalogs/2026.11', '--format', 'json'], { stdout: sink, stderr: sink });
const end = performance.now();
const cpu = process.cpuUsage(cpuStart);
const total = process.cpuUsage();
// CPU time as well as wall time: on a shared machine, wall time also counts other jobs.
process.stdout.write(`${JSON.stringify({ exitCode: code, totalMs: end, checkMs: end - checkStart, checkCpuMs: (cpu.user + cpu.system) / 1000, totalCpuMs: (total.user + total.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024, outputBytes: bytes })}\n`);
