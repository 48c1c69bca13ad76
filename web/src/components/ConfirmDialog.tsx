import { useEscape } from '../useEscape';

export interface ConfirmRequest {
  title: string;
  message: string;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
}

export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | null; onClose: () => void }) {
  useEscape(request !== null, onClose);
  if (!request) return null;
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-label={request.title}>
      <div className="dialog">
        <h3>{request.title}</h3>
        <p>{request.message}</p>
        <div className="row end">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className={request.danger ? 'danger' : 'primary'}
            data-testid="confirm"
            onClick={() => {
              onClose();
              request.onConfirm();
            }}
          >
            {request.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
