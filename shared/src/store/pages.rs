//! Paging rules shared by the adapters and their callers: following every page of a list, and
//! the cursor of the due list.

use super::{Page, PageRequest, StoreResult};
use crate::clock::Epoch;

/// Every item of a paged list, in its order: asks `page` for the first page of `size` items,
/// then for the page after each `next` cursor, until a page has none.
pub async fn all_pages<T, F, Fut>(size: u32, mut page: F) -> StoreResult<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = StoreResult<Page<T>>>,
{
    let mut all = Vec::new();
    let mut request = PageRequest::first(size);
    loop {
        let got = page(request.clone()).await?;
        all.extend(got.items);
        match got.next {
            Some(next) => request.after = Some(next),
            None => return Ok(all),
        }
    }
}

/// Where a page of due token records ends: the last record's `due_at` and tag, which order the
/// due list. Encoded `"{due}|{tag}"` (a tag may hold `|`; a due time never does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DueCursor {
    pub due: Epoch,
    pub tag: String,
}

impl DueCursor {
    /// The cursor as a page's `next`.
    pub fn encode(&self) -> String {
        format!("{}|{}", self.due, self.tag)
    }

    /// The cursor a page request names; `None` when there is none or it is not one of ours (the
    /// list starts at the beginning).
    pub fn decode(cursor: Option<&str>) -> Option<Self> {
        let (due, tag) = cursor?.split_once('|')?;
        Some(DueCursor {
            due: due.parse().ok()?,
            tag: tag.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_due_cursor_reads_back_what_it_wrote_even_with_a_bar_in_the_tag() {
        let cursor = DueCursor {
            due: -5,
            tag: "a|b".into(),
        };
        assert_eq!(cursor.encode(), "-5|a|b");
        assert_eq!(DueCursor::decode(Some(&cursor.encode())), Some(cursor));
        assert_eq!(DueCursor::decode(Some("soon|a")), None);
        assert_eq!(DueCursor::decode(Some("17")), None);
        assert_eq!(DueCursor::decode(None), None);
    }

    #[tokio::test]
    async fn all_pages_follows_every_cursor_in_order() {
        let pages = [
            (vec![1, 2], Some("b")),
            (vec![3], Some("c")),
            (vec![], None),
        ];
        let mut asked = Vec::new();
        let all = all_pages(2, |request: PageRequest| {
            asked.push(request.after);
            let (items, next) = pages[asked.len() - 1].clone();
            async move {
                Ok(Page {
                    items,
                    next: next.map(String::from),
                })
            }
        })
        .await
        .unwrap();
        assert_eq!(all, vec![1, 2, 3]);
        assert_eq!(asked, vec![None, Some("b".into()), Some("c".into())]);
    }
}
