import fs from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ; 100 on every Linux this runs on). */
const USER_HZ = 100;

/**
 * utime + stime (fields 14 and 15) of one /proc/<pid>/stat line, in seconds. The command name (field 2) is in
 * parentheses and may hold spaces, so the fields are counted from after its closing parenthesis.
 */
export function parseStatCpuSeconds(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  return (utime + stime) / USER_HZ;
}

/** CPU seconds a process has used so far (all its threads), or undefined when it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    return parseStatCpuSeconds(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Measures the CPU seconds `pid` uses while `work` runs. */
export async function cpuDuring<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; processSeconds: number }> {
  const p0 = processCpuSeconds(pid) ?? 0;
  const result = await work();
  const p1 = processCpuSeconds(pid) ?? p0;
  return { result, processSeconds: p1 - p0 };
}

/** CPU seconds used so far by every live process whose command name (field 2) is one of `names`, per name. */
export function commandCpuSeconds(names: readonly string[]): Map<string, number> {
  const totals = new Map<string, number>(names.map((n) => [n, 0]));
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (totals.has(name)) totals.set(name, totals.get(name)! + parseStatCpuSeconds(stat));
  }
  return totals;
}

/**
 * The CPU seconds the named commands (e.g. `postgres`, `mosquitto`) use while `work` runs: the difference of two
 * snapshots, so processes that end in between are not counted (the pool's backends and the broker live throughout).
 */
export async function commandCpuDuring<T>(names: readonly string[], work: () => Promise<T>): Promise<{ result: T; seconds: Map<string, number> }> {
  const before = commandCpuSeconds(names);
  const result = await work();
  const after = commandCpuSeconds(names);
  return { result, seconds: new Map(names.map((n) => [n, after.get(n)! - before.get(n)!])) };
}
