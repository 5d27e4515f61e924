/** Placeholder: the page is being built (issue 13). */
export function User(props: { userId?: string; params?: { userId?: string } }) {
  const userId = props.userId ?? props.params?.userId ?? '';
  return (
    <main id="main">
      <h1>User {decodeURIComponent(userId)}</h1>
      <p>Coming soon.</p>
    </main>
  );
}
