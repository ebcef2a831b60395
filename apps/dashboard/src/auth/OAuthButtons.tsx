import { useQuery } from '@tanstack/react-query';

interface Provider {
  id: string;
  name: string;
  url: string;
}

async function fetchProviders(): Promise<Provider[]> {
  const response = await fetch('/auth/oauth', { headers: { accept: 'application/json' } });
  if (!response.ok) return [];
  const body = (await response.json()) as { providers?: Provider[] };
  return body.providers ?? [];
}

/** "Continue with …" links for the OAuth providers the server has configured (none: nothing). */
export function OAuthButtons() {
  const { data: providers = [] } = useQuery({
    queryKey: ['oauth-providers'],
    queryFn: fetchProviders,
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (providers.length === 0) return null;
  return (
    <div className="oauth">
      <p className="muted">or</p>
      {providers.map((provider) => (
        <a
          key={provider.id}
          className="button secondary"
          href={`/auth/oauth/${encodeURIComponent(provider.id)}`}
        >
          Continue with {provider.name}
        </a>
      ))}
    </div>
  );
}
