//! WordPress user sync in the reference plugin's shape, `{"status": "error", "message", ...}`:
//! a payload over the limit is a 413, any other bad payload a 400 with the parse error or one
//! `{field: message}` per problem in `errors`; a conflict is a 409 with its `code`; a store
//! failure answers what the store's does.

use serde_json::{Value, json};

use crate::http::error::{ApiError, ResponseError};
use crate::wp_sync::{PayloadError, SyncError};

impl ResponseError for PayloadError {
    fn answer(&self) -> ApiError {
        let message = self.to_string();
        match self {
            PayloadError::Empty => ApiError::wordpress(400, message),
            PayloadError::TooLarge => ApiError::wordpress(413, message),
            PayloadError::Malformed(reason) => {
                ApiError::wordpress(400, message).with_field("errors", json!([reason]))
            }
            PayloadError::Invalid(problems) => {
                let errors: Vec<Value> = problems
                    .iter()
                    .map(|(field, message)| json!({ field: message }))
                    .collect();
                ApiError::wordpress(400, message).with_field("errors", errors)
            }
        }
    }
}

impl ResponseError for SyncError {
    fn answer(&self) -> ApiError {
        let conflict = || ApiError::wordpress(409, self.to_string());
        match self {
            SyncError::EmailConflict(_) => conflict().with_field("code", "email_conflict"),
            SyncError::LoginConflict(_) => conflict().with_field("code", "login_conflict"),
            SyncError::Store(e) => e.answer(),
        }
    }
}
