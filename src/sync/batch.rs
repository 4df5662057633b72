//! Pure batching: check pending edits against freshly read records, build the
//! `updateMany` items (the fresh record with the staged changes applied), cut
//! them into batches, and read eLogii's answer back into per-edit outcomes.
//!
//! No I/O here: the writer reads and sends, the journal stores.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde_json::Value;

use crate::api::types::{BulkResponse, Field};
use crate::domain::edit::{Edit, Entity, get_field, set_field};

/// Default number of items per `updateMany` call.
pub const DEFAULT_BATCH_SIZE: usize = 50;

/// A journal row's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EditId(pub i64);

impl fmt::Display for EditId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where a pending edit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EditState {
    /// Waiting to be sent (possibly with a message from the last try).
    Staged,
    /// In a batch that went out (or was about to); checked again after a crash.
    Sending,
    /// eLogii refused it; the message says why. Sent again only when asked.
    Failed,
    /// The same field changed on eLogii since it was staged; the dispatcher chooses.
    Conflict,
}

impl EditState {
    /// `staged`, `sending`, `failed` or `conflict`.
    pub fn name(self) -> &'static str {
        match self {
            EditState::Staged => "staged",
            EditState::Sending => "sending",
            EditState::Failed => "failed",
            EditState::Conflict => "conflict",
        }
    }

    /// Reads [`EditState::name`] back.
    pub fn parse(s: &str) -> Option<EditState> {
        Some(match s {
            "staged" => EditState::Staged,
            "sending" => EditState::Sending,
            "failed" => EditState::Failed,
            "conflict" => EditState::Conflict,
            _ => return None,
        })
    }
}

impl fmt::Display for EditState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An edit as the journal holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingEdit {
    /// Journal id.
    pub id: EditId,
    /// What to change.
    pub edit: Edit,
    /// Where it stands.
    pub state: EditState,
    /// The batch it went out in (state `sending`).
    pub batch: Option<String>,
    /// eLogii's message or the reason it is still staged.
    pub message: Option<String>,
    /// For a conflict: the value on eLogii now (`None` = absent).
    pub theirs: Option<Value>,
    /// The API base URL it was staged against.
    pub origin: String,
    /// Bumped on every change of `new`; a writer only records outcomes for the revision it sent.
    pub rev: i64,
    /// When it was first staged (Unix milliseconds).
    pub staged_at_ms: i64,
    /// The record as lists name it (uid and name), when staged with one.
    pub label: Option<String>,
}

/// What became of one edit.
#[derive(Debug, Clone, PartialEq)]
pub enum EditOutcome {
    /// eLogii confirmed it (the edit leaves the journal).
    Sent,
    /// The value was already on eLogii (a batch confirmed before a crash, or
    /// someone made the same change); counts as sent.
    AlreadyThere,
    /// eLogii refused it, or it cannot be applied any more; stays, marked failed.
    Failed(String),
    /// The same field changed on eLogii since staging; held back.
    Conflict {
        /// The value on eLogii now (`None` = absent).
        theirs: Option<Value>,
    },
    /// Not confirmed (no per-item answer, retries used up, …): stays staged with
    /// this reason, and is checked again before the next send.
    StillStaged(String),
}

impl EditOutcome {
    /// True for [`EditOutcome::Sent`] and [`EditOutcome::AlreadyThere`].
    pub fn is_sent(&self) -> bool {
        matches!(self, EditOutcome::Sent | EditOutcome::AlreadyThere)
    }
}

/// How an edit compares with the record on eLogii now.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The field still holds the base: send the new value.
    Apply,
    /// The field already holds the new value.
    AlreadyThere,
    /// The field holds something else.
    Conflict {
        /// What it holds (`None` = absent).
        theirs: Option<Value>,
    },
    /// The record or the location is gone.
    Gone(String),
}

/// Compares the server's current value of the edit's field with its base and new value.
pub fn check(edit: &Edit, fresh: Option<&Value>) -> Verdict {
    let Some(record) = fresh else {
        return Verdict::Gone(format!(
            "the {} {} no longer exists on eLogii",
            edit.entity, edit.record_id
        ));
    };
    if let Some(uid) = edit.field.location_uid() {
        let present = record
            .get("locations")
            .and_then(Value::as_array)
            .is_some_and(|l| {
                l.iter()
                    .any(|x| x.get("uid").and_then(Value::as_str) == Some(uid))
            });
        if !present {
            return Verdict::Gone(format!("location {uid} is no longer on this customer"));
        }
    }
    let current = get_field(record, &edit.field);
    if current == edit.base.as_ref() {
        Verdict::Apply
    } else if current == edit.new.as_ref() {
        Verdict::AlreadyThere
    } else {
        Verdict::Conflict {
            theirs: current.cloned(),
        }
    }
}

/// One `updateMany` item: a fresh record with some staged edits applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Customer or task.
    pub entity: Entity,
    /// The record's `_id`.
    pub record_id: String,
    /// The record as just read from eLogii.
    pub fresh: Value,
    /// The edits it carries, in journal order.
    pub edits: Vec<PendingEdit>,
    /// What is sent: `fresh` with the edits applied.
    pub body: Value,
}

impl Item {
    /// Builds the item; fails when an edit cannot be applied to the record.
    pub fn build(
        entity: Entity,
        record_id: String,
        fresh: Value,
        edits: Vec<PendingEdit>,
    ) -> Result<Item, String> {
        let mut body = fresh.clone();
        for p in &edits {
            set_field(&mut body, &p.edit.field, p.edit.new.clone()).map_err(|e| e.to_string())?;
        }
        Ok(Item {
            entity,
            record_id,
            fresh,
            edits,
            body,
        })
    }

    /// The same item without the given edits (`None` when nothing is left).
    pub fn without(&self, drop: &HashSet<EditId>) -> Option<Item> {
        let edits: Vec<PendingEdit> = self
            .edits
            .iter()
            .filter(|p| !drop.contains(&p.id))
            .cloned()
            .collect();
        if edits.is_empty() {
            return None;
        }
        Item::build(
            self.entity,
            self.record_id.clone(),
            self.fresh.clone(),
            edits,
        )
        .ok()
    }

    /// The record's uid, when it has one.
    pub fn uid(&self) -> Option<&str> {
        self.fresh.get("uid").and_then(Value::as_str)
    }
}

/// The result of checking pending edits against fresh records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// Items to send, one per record, in order of their first edit.
    pub items: Vec<Item>,
    /// Edits settled without sending (already there, conflicts, gone).
    pub outcomes: Vec<(EditId, EditOutcome)>,
}

/// Checks every edit against the fresh record (`fresh` keyed by entity and `_id`)
/// and groups those to send into one item per record.
pub fn plan(edits: &[PendingEdit], fresh: &HashMap<(Entity, String), Value>) -> Plan {
    let mut plan = Plan::default();
    let mut groups: BTreeMap<(i64, Entity, String), Vec<PendingEdit>> = BTreeMap::new();
    let mut first: HashMap<(Entity, String), i64> = HashMap::new();
    let mut sorted: Vec<&PendingEdit> = edits.iter().collect();
    sorted.sort_by_key(|p| p.id);
    for p in sorted {
        let key = (p.edit.entity, p.edit.record_id.clone());
        let record = fresh.get(&key);
        match check(&p.edit, record) {
            Verdict::Apply => {
                let order = *first.entry(key.clone()).or_insert(p.id.0);
                groups
                    .entry((order, key.0, key.1))
                    .or_default()
                    .push(p.clone());
            }
            Verdict::AlreadyThere => plan.outcomes.push((p.id, EditOutcome::AlreadyThere)),
            Verdict::Conflict { theirs } => {
                plan.outcomes.push((p.id, EditOutcome::Conflict { theirs }))
            }
            Verdict::Gone(why) => plan.outcomes.push((p.id, EditOutcome::Failed(why))),
        }
    }
    for ((_, entity, record_id), group) in groups {
        let Some(record) = fresh.get(&(entity, record_id.clone())) else {
            continue;
        };
        let ids: Vec<EditId> = group.iter().map(|p| p.id).collect();
        match Item::build(entity, record_id, record.clone(), group) {
            Ok(item) => plan.items.push(item),
            Err(why) => plan.outcomes.extend(
                ids.into_iter()
                    .map(|id| (id, EditOutcome::Failed(why.clone()))),
            ),
        }
    }
    plan
}

/// Items of one entity sent in one `updateMany` call.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Unique id (kept in the journal while the batch is out).
    pub id: String,
    /// Customer or task.
    pub entity: Entity,
    /// The items, in request order.
    pub items: Vec<Item>,
}

impl Batch {
    /// The request's `items`.
    pub fn bodies(&self) -> Vec<Value> {
        self.items.iter().map(|i| i.body.clone()).collect()
    }

    /// Every edit the batch carries.
    pub fn edit_ids(&self) -> Vec<EditId> {
        self.items
            .iter()
            .flat_map(|i| i.edits.iter().map(|p| p.id))
            .collect()
    }

    /// Every edit the batch carries, with its revision.
    pub fn edit_revs(&self) -> Vec<(EditId, i64)> {
        self.items
            .iter()
            .flat_map(|i| i.edits.iter().map(|p| (p.id, p.rev)))
            .collect()
    }

    /// Number of edits.
    pub fn edit_count(&self) -> usize {
        self.items.iter().map(|i| i.edits.len()).sum()
    }

    /// Two halves (ids `<id>a` and `<id>b`), for a request that was too large.
    /// `None` when the batch has a single item.
    pub fn split(&self) -> Option<(Batch, Batch)> {
        if self.items.len() < 2 {
            return None;
        }
        let mid = self.items.len() / 2;
        let half = |suffix: &str, items: &[Item]| Batch {
            id: format!("{}{suffix}", self.id),
            entity: self.entity,
            items: items.to_vec(),
        };
        Some((half("a", &self.items[..mid]), half("b", &self.items[mid..])))
    }
}

/// Cuts items into batches of at most `size` items, one entity per batch,
/// naming each with `next_id()`.
pub fn batches(items: Vec<Item>, size: usize, mut next_id: impl FnMut() -> String) -> Vec<Batch> {
    let size = size.max(1);
    let mut per_entity: BTreeMap<Entity, Vec<Item>> = BTreeMap::new();
    for item in items {
        per_entity.entry(item.entity).or_default().push(item);
    }
    let mut out = Vec::new();
    for (entity, items) in per_entity {
        let mut rest = items.into_iter().peekable();
        while rest.peek().is_some() {
            let chunk: Vec<Item> = rest.by_ref().take(size).collect();
            out.push(Batch {
                id: next_id(),
                entity,
                items: chunk,
            });
        }
    }
    out
}

/// The reason given to edits whose item eLogii's answer does not name.
pub const UNCONFIRMED: &str = "eLogii's answer did not confirm this change, so it stays staged and is checked again before the next send";

/// Reads a `BulkResponse` into per-edit outcomes: an item named by
/// `errors[].index` failed with that message; an item whose `_id` (or uid) is in
/// `ids` was sent; any other item is not taken as sent (it stays staged).
pub fn reconcile(batch: &Batch, response: &BulkResponse) -> Vec<(EditId, EditOutcome)> {
    let ids: HashSet<&str> = match &response.ids {
        Field::Value(ids) => ids.iter().map(String::as_str).collect(),
        _ => HashSet::new(),
    };
    let mut by_index: HashMap<usize, String> = HashMap::new();
    let mut unindexed: Vec<String> = Vec::new();
    if let Field::Value(errors) = &response.errors {
        for e in errors {
            match &e.index {
                Field::Value(i) if *i >= 0 => {
                    let text = e.text();
                    by_index
                        .entry(*i as usize)
                        .and_modify(|t| {
                            t.push_str("; ");
                            t.push_str(&text);
                        })
                        .or_insert(text);
                }
                _ => unindexed.push(e.text()),
            }
        }
    }
    let mut out = Vec::with_capacity(batch.edit_count());
    for (index, item) in batch.items.iter().enumerate() {
        let outcome = if let Some(message) = by_index.get(&index) {
            EditOutcome::Failed(message.clone())
        } else if ids.contains(item.record_id.as_str())
            || item.uid().is_some_and(|u| ids.contains(u))
        {
            EditOutcome::Sent
        } else if let Some(first) = unindexed.first() {
            EditOutcome::StillStaged(format!("{UNCONFIRMED} (eLogii said: {first})"))
        } else {
            EditOutcome::StillStaged(UNCONFIRMED.to_string())
        };
        out.extend(item.edits.iter().map(|p| (p.id, outcome.clone())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::BulkError;
    use crate::domain::edit::FieldPath;
    use serde_json::json;

    fn pending(id: i64, record: &str, field: FieldPath, base: Value, new: Value) -> PendingEdit {
        PendingEdit {
            id: EditId(id),
            edit: Edit {
                entity: Entity::Customer,
                record_id: record.into(),
                field,
                base: Some(base),
                new: Some(new),
            },
            state: EditState::Staged,
            batch: None,
            message: None,
            theirs: None,
            origin: "http://x".into(),
            rev: 1,
            staged_at_ms: 0,
            label: None,
        }
    }

    fn record(id: &str, contact: &str, post: &str) -> Value {
        json!({"_id": id, "uid": format!("CUS-{id}"), "contactName": contact, "x": {"deep": 1},
               "locations": [{"uid": "CL-1", "postCode": post, "other": true}]})
    }

    fn fresh(records: &[Value]) -> HashMap<(Entity, String), Value> {
        records
            .iter()
            .map(|r| {
                (
                    (Entity::Customer, r["_id"].as_str().unwrap().to_string()),
                    r.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn check_decides_apply_there_conflict_gone() {
        let p = pending(
            1,
            "a",
            FieldPath::top("contactName"),
            json!("Ann"),
            json!("Bob"),
        );
        assert_eq!(
            check(&p.edit, Some(&record("a", "Ann", "X"))),
            Verdict::Apply
        );
        assert_eq!(
            check(&p.edit, Some(&record("a", "Bob", "X"))),
            Verdict::AlreadyThere
        );
        assert_eq!(
            check(&p.edit, Some(&record("a", "Cat", "X"))),
            Verdict::Conflict {
                theirs: Some(json!("Cat"))
            }
        );
        assert!(matches!(check(&p.edit, None), Verdict::Gone(_)));
        let q = pending(
            2,
            "a",
            FieldPath::location("CL-9", "postCode"),
            json!("X"),
            json!("Y"),
        );
        assert!(matches!(
            check(&q.edit, Some(&record("a", "Ann", "X"))),
            Verdict::Gone(_)
        ));
        // Absent base: applies while still absent.
        let mut r = pending(
            3,
            "a",
            FieldPath::top("reference"),
            json!(null),
            json!("R1"),
        );
        r.edit.base = None;
        assert_eq!(
            check(&r.edit, Some(&record("a", "Ann", "X"))),
            Verdict::Apply
        );
    }

    #[test]
    fn same_record_becomes_one_item_and_other_fields_merge() {
        let edits = vec![
            pending(
                1,
                "a",
                FieldPath::top("contactName"),
                json!("Ann"),
                json!("Bob"),
            ),
            pending(
                2,
                "b",
                FieldPath::top("contactName"),
                json!("Cy"),
                json!("Di"),
            ),
            pending(
                3,
                "a",
                FieldPath::location("CL-1", "postCode"),
                json!("X"),
                json!("Y"),
            ),
        ];
        // Someone else changed `x` on record a: it must survive.
        let mut a = record("a", "Ann", "X");
        a["x"] = json!({"deep": 2});
        let plan = plan(&edits, &fresh(&[a, record("b", "Cy", "Z")]));
        assert!(plan.outcomes.is_empty());
        assert_eq!(plan.items.len(), 2);
        assert_eq!(plan.items[0].record_id, "a");
        assert_eq!(plan.items[0].edits.len(), 2);
        assert_eq!(
            plan.items[0].body,
            json!({"_id": "a", "uid": "CUS-a", "contactName": "Bob", "x": {"deep": 2},
                   "locations": [{"uid": "CL-1", "postCode": "Y", "other": true}]})
        );
        let dropped = plan.items[0].without(&HashSet::from([EditId(1)])).unwrap();
        assert_eq!(dropped.body["contactName"], json!("Ann"));
        assert!(plan.items[1].without(&HashSet::from([EditId(2)])).is_none());
    }

    #[test]
    fn plan_settles_what_need_not_be_sent() {
        let edits = vec![
            pending(
                1,
                "a",
                FieldPath::top("contactName"),
                json!("Ann"),
                json!("Bob"),
            ),
            pending(
                2,
                "b",
                FieldPath::top("contactName"),
                json!("Cy"),
                json!("Di"),
            ),
            pending(
                3,
                "c",
                FieldPath::top("contactName"),
                json!("Ed"),
                json!("Fa"),
            ),
        ];
        let plan = plan(
            &edits,
            &fresh(&[record("a", "Bob", "X"), record("b", "Zed", "X")]),
        );
        assert!(plan.items.is_empty());
        assert_eq!(plan.outcomes[0], (EditId(1), EditOutcome::AlreadyThere));
        assert_eq!(
            plan.outcomes[1],
            (
                EditId(2),
                EditOutcome::Conflict {
                    theirs: Some(json!("Zed"))
                }
            )
        );
        assert!(matches!(
            plan.outcomes[2],
            (EditId(3), EditOutcome::Failed(_))
        ));
    }

    #[test]
    fn batches_are_cut_per_entity_and_split_in_half() {
        let mut items = Vec::new();
        for i in 0..7 {
            let id = format!("r{i}");
            let p = pending(
                i,
                &id,
                FieldPath::top("contactName"),
                json!("A"),
                json!("B"),
            );
            items.push(
                Item::build(Entity::Customer, id.clone(), record(&id, "A", "X"), vec![p]).unwrap(),
            );
        }
        let mut task = items[0].clone();
        task.entity = Entity::Task;
        items.push(task);
        let mut n = 0;
        let bs = batches(items, 3, || {
            n += 1;
            format!("b{n}")
        });
        assert_eq!(
            bs.iter().map(|b| b.items.len()).collect::<Vec<_>>(),
            vec![3, 3, 1, 1]
        );
        assert_eq!(bs[3].entity, Entity::Task);
        let (l, r) = bs[0].split().unwrap();
        assert_eq!((l.items.len(), r.items.len()), (1, 2));
        assert_eq!((l.id.as_str(), r.id.as_str()), ("b1a", "b1b"));
        assert!(bs[2].split().is_none());
    }

    #[test]
    fn reconcile_trusts_only_named_items() {
        let mut items = Vec::new();
        for i in 0..4 {
            let id = format!("r{i}");
            let p = pending(
                i,
                &id,
                FieldPath::top("contactName"),
                json!("A"),
                json!("B"),
            );
            items.push(
                Item::build(Entity::Customer, id.clone(), record(&id, "A", "X"), vec![p]).unwrap(),
            );
        }
        let batch = Batch {
            id: "b".into(),
            entity: Entity::Customer,
            items,
        };
        let response = BulkResponse {
            result: Field::Value(2),
            ids: Field::Value(vec!["r0".into(), "CUS-r3".into()]),
            errors: Field::Value(vec![BulkError {
                index: Field::Value(1),
                message: Field::Value("Rejected".into()),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let out = reconcile(&batch, &response);
        assert_eq!(out[0], (EditId(0), EditOutcome::Sent));
        assert_eq!(out[1], (EditId(1), EditOutcome::Failed("Rejected".into())));
        assert_eq!(
            out[2],
            (EditId(2), EditOutcome::StillStaged(UNCONFIRMED.into()))
        );
        assert_eq!(out[3], (EditId(3), EditOutcome::Sent));
        // A bare 2xx confirms nothing.
        let out = reconcile(&batch, &BulkResponse::default());
        assert!(
            out.iter()
                .all(|(_, o)| matches!(o, EditOutcome::StillStaged(_)))
        );
    }
}
