import { Link } from 'react-router';

export function NotFoundRoute() {
  return (
    <main className="flex min-h-dvh flex-col items-center justify-center gap-3 p-6 text-center">
      <p className="text-5xl font-bold text-indigo-600">404</p>
      <h1 className="text-lg font-semibold">This page does not exist.</h1>
      <Link to="/" className="font-semibold text-indigo-600 hover:text-indigo-500">
        Back to the dashboard
      </Link>
    </main>
  );
}
