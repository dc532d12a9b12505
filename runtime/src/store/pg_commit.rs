//! Applying a group of commits to PostgreSQL in one transaction with few round trips: the
//! redrives (rare) one by one, then one fencing query for every commit of an execution this
//! instance holds, then every other statement of the group pipelined — the executions created,
//! the events of all commits in one `INSERT … UNNEST`, the checkpoints, tasks and status
//! changes — and the commit. A Pass chain's final commit costs no round trip of its own.

use super::postgres::{lock, pg_err, Shared, NOW_MS};
use super::{Commit, StoreError};
use crate::events::ExecutionStatus;
use futures::future::BoxFuture;
use tokio_postgres::types::ToSql;

type Tx<'a> = deadpool_postgres::Transaction<'a>;
type Call<'a> = BoxFuture<'a, Result<u64, tokio_postgres::Error>>;

/// What a commit does to this instance's leases once it is applied.
enum Hold {
    /// Nothing.
    Keep,
    /// It now holds the execution at this epoch.
    Take(i64),
    /// It no longer holds it (closed).
    Drop,
}

fn reopens(c: &Commit) -> bool {
    c.create.is_none()
        && c.status
            .as_ref()
            .is_some_and(|st| st.status == ExecutionStatus::Running)
}

/// Applies `batch` in one transaction; on success, updates the leases this instance holds.
pub(super) async fn apply_batch(s: &Shared, batch: &[&Commit]) -> Result<(), StoreError> {
    let mut client = s.pool.get().await.map_err(pg_err)?;
    let owned_tx = client.transaction().await.map_err(pg_err)?;
    let tx = &owned_tx;
    let lease = s.lease.as_millis() as i64;
    let mut holds: Vec<Hold> = Vec::with_capacity(batch.len());
    let mut fenced: Vec<(&str, i64)> = Vec::new();
    for c in batch {
        let arn = c.execution.as_str();
        let mut hold = Hold::Keep;
        if c.create.is_some() {
            hold = Hold::Take(1);
        } else if reopens(c) {
            // A redrive: this instance takes the closed execution with a new epoch.
            let st = tx
                .prepare_cached(&format!(
                    "UPDATE stepfn_executions SET owner = $2, epoch = epoch + 1,
                     lease_until_ms = {NOW_MS} + $3 WHERE arn = $1 AND status <> 'RUNNING'
                     RETURNING epoch"
                ))
                .await
                .map_err(pg_err)?;
            let row = tx
                .query_opt(&st, &[&arn, &s.owner, &lease])
                .await
                .map_err(pg_err)?
                .ok_or_else(|| StoreError(format!("execution `{arn}` is not closed")))?;
            hold = Hold::Take(row.get(0));
        } else if let Some((epoch, _)) = lock(&s.held).get(arn) {
            fenced.push((arn, *epoch));
        }
        if c.status
            .as_ref()
            .is_some_and(|st| st.status != ExecutionStatus::Running)
        {
            hold = Hold::Drop;
        }
        holds.push(hold);
    }
    fence(s, tx, &fenced).await?;

    // The events of every commit, in one statement.
    let mut arns: Vec<&str> = Vec::new();
    let mut ids: Vec<i64> = Vec::new();
    let mut bodies: Vec<String> = Vec::new();
    for c in batch {
        for e in &c.events {
            arns.push(&c.execution);
            ids.push(e.id as i64);
            bodies.push(e.to_text());
        }
    }
    let mut calls: Vec<Call<'_>> = Vec::new();
    for c in batch {
        if c.create.is_some() {
            calls.push(create(s, tx, c, lease).await?);
        }
    }
    if !ids.is_empty() {
        let st = tx
            .prepare_cached(
                "INSERT INTO stepfn_events(arn, id, body)
                 SELECT a, i, b FROM UNNEST($1::text[], $2::bigint[], $3::text[]) AS t(a, i, b)",
            )
            .await
            .map_err(pg_err)?;
        let (arns, ids, bodies) = (&arns, &ids, &bodies);
        calls.push(Box::pin(async move {
            tx.execute(&st, &[arns, ids, bodies]).await
        }));
    }
    let mut tasks_added = false;
    for c in batch {
        rest(tx, c, &mut calls).await?;
        tasks_added |= !c.put_tasks.is_empty() || !c.update_tasks.is_empty();
    }
    if tasks_added {
        // Delivered at commit, to every process listening (this one too).
        let st = tx
            .prepare_cached("SELECT pg_notify('stepfn_tasks', '')")
            .await
            .map_err(pg_err)?;
        calls.push(Box::pin(async move { tx.execute(&st, &[]).await }));
    }
    // Pipelined: sent in order, answered in order.
    for r in futures::future::join_all(calls).await {
        r.map_err(|e| StoreError(format!("postgres: commit: {e}")))?;
    }
    owned_tx.commit().await.map_err(pg_err)?;
    let mut held = lock(&s.held);
    for (c, h) in batch.iter().zip(holds) {
        match h {
            Hold::Keep => {}
            Hold::Take(epoch) => {
                held.insert(c.execution.clone(), (epoch, true));
            }
            Hold::Drop => {
                held.remove(&c.execution);
            }
        }
    }
    Ok(())
}

/// Fencing, one query for the group: each execution is still this instance's, at the epoch it
/// took it at, and running (`FOR SHARE`, which a concurrent claim waits for).
async fn fence(s: &Shared, tx: &Tx<'_>, fenced: &[(&str, i64)]) -> Result<(), StoreError> {
    if fenced.is_empty() {
        return Ok(());
    }
    let st = tx
        .prepare_cached(
            "SELECT e.arn FROM stepfn_executions e
             JOIN UNNEST($1::text[], $2::bigint[]) AS f(arn, epoch)
               ON e.arn = f.arn AND e.epoch = f.epoch
             WHERE e.owner = $3 AND e.status = 'RUNNING' FOR SHARE OF e",
        )
        .await
        .map_err(pg_err)?;
    let arns: Vec<&str> = fenced.iter().map(|(a, _)| *a).collect();
    let epochs: Vec<i64> = fenced.iter().map(|(_, e)| *e).collect();
    let rows = tx
        .query(&st, &[&arns, &epochs, &s.owner])
        .await
        .map_err(pg_err)?;
    let ok: std::collections::HashSet<String> = rows.iter().map(|r| r.get(0)).collect();
    match fenced.iter().find(|(a, _)| !ok.contains(*a)) {
        None => Ok(()),
        Some((arn, epoch)) => Err(StoreError(format!(
            "lease lost: execution `{arn}` was taken over by another process (epoch {epoch} \
             is fenced off)"
        ))),
    }
}

/// The statement creating `c`'s execution, held by this instance at epoch 1.
async fn create<'a>(
    s: &'a Shared,
    tx: &'a Tx<'_>,
    c: &'a Commit,
    lease: i64,
) -> Result<Call<'a>, StoreError> {
    let st = tx
        .prepare_cached(&format!(
            "INSERT INTO stepfn_executions(arn, name, state_machine, status, input, output,
             error, cause, start_ms, stop_ms, redrive_count, redrive_ms, owner, epoch,
             lease_until_ms)
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,1,{NOW_MS} + $14)"
        ))
        .await
        .map_err(pg_err)?;
    Ok(Box::pin(async move {
        let Some(r) = &c.create else { return Ok(0) };
        let redrives = r.redrive_count as i64;
        tx.execute(
            &st,
            &[
                &r.arn,
                &r.name,
                &r.state_machine,
                &r.status.as_str(),
                &r.input,
                &r.output,
                &r.error,
                &r.cause,
                &r.start_ms,
                &r.stop_ms,
                &redrives,
                &r.redrive_ms,
                &s.owner,
                &lease,
            ],
        )
        .await
    }))
}

/// The statements of `c` besides its creation and events: checkpoints, tasks, status.
async fn rest<'a>(
    tx: &'a Tx<'_>,
    c: &'a Commit,
    calls: &mut Vec<Call<'a>>,
) -> Result<(), StoreError> {
    let arn = &c.execution;
    let stmt = |sql: &'static str| async move { tx.prepare_cached(sql).await.map_err(pg_err) };
    if c.clear_frames {
        let st = stmt("DELETE FROM stepfn_frames WHERE arn = $1").await?;
        calls.push(Box::pin(async move { tx.execute(&st, &[arn]).await }));
    }
    if !c.frames.is_empty() {
        let put = stmt(
            "INSERT INTO stepfn_frames(arn, key, body) VALUES ($1, $2, $3)
             ON CONFLICT(arn, key) DO UPDATE SET body = excluded.body",
        )
        .await?;
        let del = stmt("DELETE FROM stepfn_frames WHERE arn = $1 AND key = $2").await?;
        for (k, v) in &c.frames {
            let (put, del) = (put.clone(), del.clone());
            calls.push(Box::pin(async move {
                match v {
                    Some(v) => tx.execute(&put, &[arn, k, v]).await,
                    None => tx.execute(&del, &[arn, k]).await,
                }
            }));
        }
    }
    if c.clear_tasks {
        let st = stmt("DELETE FROM stepfn_tasks WHERE execution = $1").await?;
        calls.push(Box::pin(async move { tx.execute(&st, &[arn]).await }));
    }
    if !c.remove_tasks.is_empty() {
        let st = stmt("DELETE FROM stepfn_tasks WHERE token = ANY($1)").await?;
        let tokens = &c.remove_tasks;
        calls.push(Box::pin(async move { tx.execute(&st, &[tokens]).await }));
    }
    if !c.put_tasks.is_empty() {
        let st = stmt(
            "INSERT INTO stepfn_tasks(token, execution, activity, input, started, worker,
             heartbeat_ms, answer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT(token) DO UPDATE SET execution = excluded.execution,
             activity = excluded.activity, input = excluded.input, started = excluded.started,
             worker = excluded.worker, heartbeat_ms = excluded.heartbeat_ms,
             answer = excluded.answer",
        )
        .await?;
        for t in &c.put_tasks {
            let st = st.clone();
            calls.push(Box::pin(async move {
                let args: [&(dyn ToSql + Sync); 8] = [
                    &t.token,
                    &t.execution,
                    &t.activity,
                    &t.input,
                    &t.started,
                    &t.worker,
                    &t.heartbeat_ms,
                    &t.answer,
                ];
                tx.execute(&st, &args).await
            }));
        }
    }
    if !c.update_tasks.is_empty() {
        let st = stmt(
            "UPDATE stepfn_tasks SET started = started OR $2, worker = COALESCE(worker, $3),
             heartbeat_ms = GREATEST(heartbeat_ms, $4), answer = COALESCE(answer, $5)
             WHERE token = $1",
        )
        .await?;
        for t in &c.update_tasks {
            let st = st.clone();
            calls.push(Box::pin(async move {
                tx.execute(
                    &st,
                    &[&t.token, &t.started, &t.worker, &t.heartbeat_ms, &t.answer],
                )
                .await
            }));
        }
    }
    if let Some(sc) = &c.status {
        let st = stmt(
            "UPDATE stepfn_executions SET status = $2, output = $3, error = $4, cause = $5,
             stop_ms = $6, redrive_count = COALESCE($7, redrive_count),
             redrive_ms = COALESCE($8, redrive_ms) WHERE arn = $1",
        )
        .await?;
        calls.push(Box::pin(async move {
            let count = sc.redrive_count.map(|n| n as i64);
            tx.execute(
                &st,
                &[
                    arn,
                    &sc.status.as_str(),
                    &sc.output,
                    &sc.error,
                    &sc.cause,
                    &sc.stop_ms,
                    &count,
                    &sc.redrive_ms,
                ],
            )
            .await
        }));
    }
    Ok(())
}
