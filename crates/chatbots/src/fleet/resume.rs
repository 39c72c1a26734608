//! Finishing an apply that was stopped: what is left of its plan, checked
//! against what the vendors hold now.

use std::path::Path;

use serde_json::Value;

use super::apply::{ApplyError, ApplyOptions, ApplyReport, StaleBot};
use super::compare::{self, Verdict};
use super::journal::{JournalSource, JournalSummary, close_stopped};
use super::journaled::plan_path;
use super::plan::{self, BotPlan, Change, Plan, PlanOptions};
use super::problem::{FleetError, Problem};
use super::read::{self, State};
use crate::Chatbots;
use crate::error::Error;

impl Chatbots {
    /// What is left to apply of `plan` after an apply of it stopped part
    /// way: every bot is read again; a field that already holds its planned
    /// value is done (unchanged), one that still holds the value the plan
    /// saw is to be sent, and one that holds neither was changed by
    /// someone else — the whole plan is then refused with
    /// [`ApplyError::Stale`] naming it, nothing sent.
    pub async fn resume_plan(&self, plan: &Plan) -> Result<Plan, ApplyError> {
        let todo: Vec<&BotPlan> = plan.bots.iter().filter(|b| b.has_changes()).collect();
        let refs: Vec<_> = todo.iter().map(|b| b.bot.clone()).collect();
        let states = read::read_all(self, &refs, &PlanOptions::new()).await;
        let mut stale = Vec::new();
        let mut bots = Vec::with_capacity(plan.bots.len());
        let mut states = todo.iter().map(|b| &b.bot).zip(states);
        for bot in &plan.bots {
            if !bot.has_changes() {
                bots.push(bot.clone());
                continue;
            }
            let Some((_, state)) = states.next() else {
                break;
            };
            match state {
                State::Read(found) => {
                    let wanted = bot
                        .fields
                        .iter()
                        .map(|f| (f.field.clone(), f.change.desired().clone()))
                        .collect();
                    let (fields, snapshot) = plan::compare(&found, wanted);
                    let then = bot.current.as_ref().and_then(Value::as_object);
                    for field in &fields {
                        let Change::Update { old: now, new } = &field.change else {
                            continue;
                        };
                        // Still what the plan saw: to be sent.
                        let planned = then.and_then(|t| t.get(&field.field));
                        let same =
                            planned.is_some_and(|p| compare::verdict(p, now) == Verdict::Same);
                        if !same && planned.is_some() {
                            stale.push(StaleBot {
                                bot: bot.bot.clone(),
                                field: field.field.clone(),
                                planned: planned.cloned().unwrap_or(Value::Null),
                                now: now.clone(),
                                already_applied: compare::verdict(new, now) == Verdict::Same,
                            });
                        }
                    }
                    bots.push(BotPlan {
                        bot: bot.bot.clone(),
                        line: bot.line,
                        fields,
                        current: Some(Value::Object(snapshot)),
                        error: None,
                    });
                }
                // Absolute values: sent again as planned.
                State::Unreadable => bots.push(bot.clone()),
                State::Failed(e) => bots.push(BotPlan {
                    error: Some(e.to_string()),
                    ..bot.clone()
                }),
            }
        }
        if !stale.is_empty() {
            return Err(ApplyError::Stale { bots: stale });
        }
        Ok(Plan {
            format: plan.format,
            origin: plan.origin.clone(),
            bots,
        })
    }

    /// Finishes the apply that wrote `journal` and stopped before its
    /// closing line (a killed process, a lost machine): the rest of the
    /// plan it saved beside the journal, as
    /// [`resume_plan`](Self::resume_plan) finds it, applied with
    /// `options` (journaled in a new journal when `options` journals);
    /// the stopped journal is then closed, naming the one that finished it.
    pub async fn resume(
        &self,
        journal: &Path,
        options: &ApplyOptions,
    ) -> Result<ApplyReport, ApplyError> {
        let summary = JournalSummary::read(journal).map_err(ApplyError::Journal)?;
        if summary.closed {
            return Err(ApplyError::Journal(Error::config(
                None,
                format!(
                    "{}: that apply ended; there is nothing to resume",
                    crate::printable::one_line(&journal.to_string_lossy())
                ),
            )));
        }
        let saved = plan_path(journal);
        let text = super::read_limited(&saved).map_err(|e| {
            ApplyError::Refused(FleetError {
                problems: vec![Problem::new(
                    &saved.display().to_string(),
                    None,
                    format!("cannot be read: {e}"),
                )],
            })
        })?;
        let plan =
            Plan::from_json(&text, &saved.display().to_string()).map_err(ApplyError::Refused)?;
        let rest = self.resume_plan(&plan).await?;
        let options = options.with_source(JournalSource::new(
            saved.display().to_string(),
            text.as_bytes(),
        ));
        self.resume_with(journal, &rest, &options).await
    }

    /// Applies `rest`, what [`resume_plan`](Self::resume_plan) found left
    /// of the stopped apply that wrote `journal` (a tool that shows it
    /// before asking, and so has it already), then closes that journal,
    /// naming the one that finished it. Like any apply, it re-reads the
    /// bots first and refuses the whole plan if one changed in between.
    pub async fn resume_with(
        &self,
        journal: &Path,
        rest: &Plan,
        options: &ApplyOptions,
    ) -> Result<ApplyReport, ApplyError> {
        let summary = JournalSummary::read(journal).map_err(ApplyError::Journal)?;
        let report = self.apply(rest, options).await?;
        let by = report.journal.as_ref().map(|j| j.path.as_path());
        close_stopped(journal, &summary, by).map_err(ApplyError::Journal)?;
        Ok(report)
    }
}
