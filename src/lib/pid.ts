// Process liveness, for everything that records a pid to notice its holder died (locks, temp files,
// sessions). Signal 0 checks without signalling; EPERM means alive but someone else's.

/** Whether a process id is alive on this machine. */
export function isProcessAlive(pid: number | null): boolean {
  if (pid === null || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
