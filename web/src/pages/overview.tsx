/** Placeholder: the page is being built (issue 13). */
export function Overview() {
  return (
    <main id="main" data-ready="true">
      <h1>Overview</h1>
      <p>Coming soon.</p>
    </main>
  );
}
