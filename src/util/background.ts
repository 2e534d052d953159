/**
 * The first line of a helper thread that does heavy work on the side (YAML parsing, bcrypt): it
 * lowers that thread's own scheduling priority. On Linux setpriority(PRIO_PROCESS, 0) applies to
 * the calling thread alone (nice is per thread there), so the threads that send pings keep theirs;
 * a reload or a login then takes the CPU they leave, not the CPU they need. Lowering is never
 * refused, and where it is not supported nothing changes.
 */
const BACKGROUND_NICE = 10;

export const backgroundPrioritySource = `try { require('node:os').setPriority(${BACKGROUND_NICE}); } catch {}`;
