/** Placeholder: the page is being built (issue 13). */
export function Live() {
  return (
    <main id="main">
      <h1>Live</h1>
      <p>Coming soon.</p>
    </main>
  );
}
