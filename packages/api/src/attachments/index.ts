// Attachments as the server's streaming routes and its sweeper use them: the guards, the
// recording of an upload, lookups, and the queue of files to remove.

export {
  type AttachmentView,
  findAttachment,
  forgetDeletion,
  pendingDeletions,
  queueOrphanAttachments,
  type StoredAttachment,
} from '../queries/attachments.js';
export { attachmentDeletions } from './deletions.js';
export { authorizeRead, authorizeUpload } from './guards.js';
export { AttachmentQuotaExceeded, type NewAttachment, recordAttachment } from './record.js';
