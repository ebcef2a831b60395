import { useMutation, useQueryClient } from '@tanstack/react-query';
import { isTrellisError } from '@trellis/client';
import { messageOf } from '../app/errors';
import { useTRPC } from '../app/trpc';
import { ErrorMessage } from '../forms/Alert';

/** "Resend" for the verification mail (auth.resendVerification), with what came of it. */
export function ResendVerification({ email, label = 'Resend' }: { email: string; label?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const resend = useMutation(
    trpc.auth.resendVerification.mutationOptions({
      onError: (error) => {
        // Already verified (in another tab, say): fetch `me` again and the notice goes.
        if (isTrellisError(error) && error.code === 'CONFLICT') {
          void queryClient.invalidateQueries(trpc.auth.me.queryFilter());
        }
      },
    }),
  );
  return (
    <div className="resend">
      <button
        type="button"
        className="secondary"
        disabled={resend.isPending}
        onClick={() => resend.mutate({})}
      >
        {label}
      </button>
      <span role="status">
        {resend.isSuccess ? `Sent. Check your inbox at ${email} (and its spam folder).` : ''}
      </span>
      <ErrorMessage>{resend.isError ? messageOf(resend.error) : null}</ErrorMessage>
    </div>
  );
}
