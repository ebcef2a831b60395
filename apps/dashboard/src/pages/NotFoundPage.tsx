import { Link } from '../app/router';

/** A path that leads nowhere. */
export function NotFoundPage({ message = 'There is no page here.' }: { message?: string }) {
  return (
    <main className="page narrow">
      <h1>Not found</h1>
      <p>{message}</p>
      <p>
        <Link to="/">Go to your dashboard</Link>
      </p>
    </main>
  );
}
