export function InteractionExpired() {
  return (
    <section className="stack" aria-labelledby="expired-title">
      <h1 id="expired-title">This sign-in request has expired</h1>
      <p>This sign-in request has expired or is unknown. Go back to the app and start again.</p>
    </section>
  );
}
