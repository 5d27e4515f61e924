/**
 * Retries `check` until it stops throwing or `timeoutMs` passes, then throws its last error.
 * For a page that is still applying a change made through its controls: the assertion is the
 * same, only its moment is unknown.
 */
export async function eventually(check: () => Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
}
