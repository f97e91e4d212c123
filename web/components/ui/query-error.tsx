import { Alert } from './alert.tsx';
import { Button } from './button.tsx';

export interface QueryErrorProps {
  error: Error;
  onRetry?: () => void;
  title?: string;
}

/** A failed load, with the server's message and a way to try again. */
export function QueryError({ error, onRetry, title = 'This could not be loaded' }: QueryErrorProps) {
  return (
    <Alert tone="error" title={title}>
      <p>{error.message}</p>
      {onRetry ? (
        <p>
          <Button variant="secondary" onClick={onRetry}>
            Try again
          </Button>
        </p>
      ) : null}
    </Alert>
  );
}
