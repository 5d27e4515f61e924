/** Placeholder: the page is being built (issue 13). */
export function Events() {
  return (
    <main id="main">
      <h1>Events</h1>
      <p>Coming soon.</p>
    </main>
  );
}
