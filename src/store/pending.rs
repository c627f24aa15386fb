//! A write job that ran inside a group-commit batch and waits for its transaction's outcome
//! before it answers: the part of both backends' writers (`sqlite/writer.rs`,
//! `postgres/writer.rs`) that does not depend on how a job runs.

use tokio::sync::oneshot;

use super::{StoreError, StoreResult};

/// A job that ran, whatever its result type.
pub(super) trait Pending: Send {
    /// A copy of the job's own error, if it failed.
    fn error(&self) -> Option<StoreError>;
    /// Answers the caller: its own result, or `failure` when the transaction did not commit.
    fn finish(self: Box<Self>, failure: Option<&StoreError>);
}

/// A job's result and where to send it.
pub(super) struct TypedPending<T> {
    pub(super) result: StoreResult<T>,
    pub(super) reply: oneshot::Sender<StoreResult<T>>,
}

impl<T: Send> Pending for TypedPending<T> {
    fn error(&self) -> Option<StoreError> {
        self.result.as_ref().err().map(StoreError::duplicate)
    }

    fn finish(self: Box<Self>, failure: Option<&StoreError>) {
        let answer = match failure {
            Some(e) => Err(e.duplicate()),
            None => self.result,
        };
        // The caller may have gone away (a cancelled request): nobody to tell.
        let _ = self.reply.send(answer);
    }
}
