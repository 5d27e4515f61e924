/** Placeholder: the page is being built (issue 13). */
export function Windows() {
  return (
    <main id="main">
      <h1>Metric windows</h1>
      <p>Coming soon.</p>
    </main>
  );
}
