//! The interpreter's driver: an execution begun from its input, run scope by scope over the
//! definition, and concluded with its status, output and terminal history event.

#[allow(unused_imports)]
use super::*;

/// A loaded state machine, ready to run executions.
#[derive(Debug, Clone)]
pub struct Interpreter {
    machine: Arc<StateMachine>,
    name: String,
    tasks: Arc<TaskRegistry>,
    /// The machine's JSONata expressions, compiled once (`None` for JSONPath-only machines).
    jsonata: Option<Arc<JsonataCache>>,
    /// The machine's scopes, transitions resolved, and facts; built once.
    plan: Arc<Plan>,
    /// The ARNs every execution's facts repeat, formatted once.
    arns: Arc<MachineArns>,
    /// The facts of executions whose identity cannot be seen (shared, not made per execution).
    anonymous: Arc<ExecutionInfo>,
    /// Why an execution in memory fails at its start (a Task without a handler, or one waiting
    /// for a task token), found once.
    start_problem: Option<StatesError>,
}

/// The parts of the context object's facts that depend on the machine alone.
#[derive(Debug)]
pub(super) struct MachineArns {
    /// `arn:aws:states:…:execution:{machine}:` (the execution's name follows).
    execution_prefix: String,
    role_arn: String,
    state_machine_id: String,
}

impl MachineArns {
    pub(super) fn new(machine: &str) -> Self {
        Self {
            execution_prefix: arn::execution_prefix(REGION, arn::DEFAULT_ACCOUNT, machine),
            role_arn: arn::DEFAULT_ROLE_ARN.to_string(),
            state_machine_id: arn::state_machine(REGION, arn::DEFAULT_ACCOUNT, machine),
        }
    }

    /// The ARN of execution `name`.
    pub(super) fn execution_arn(&self, name: &str) -> String {
        let mut id = String::with_capacity(self.execution_prefix.len() + name.len());
        id.push_str(&self.execution_prefix);
        id.push_str(name);
        id
    }
}

impl Interpreter {
    /// An interpreter for `machine`, called `name`, with task handlers.
    pub fn new(machine: StateMachine, name: impl Into<String>, tasks: TaskRegistry) -> Self {
        let jsonata =
            JsonataCache::for_machine(&machine, crate::io::jsonata::default_engine()).map(Arc::new);
        let name = name.into();
        let arns = MachineArns::new(&name);
        let anonymous = Arc::new(ExecutionInfo {
            id: String::new(),
            name: String::new(),
            start_time: String::new(),
            input: Value::Null,
            role_arn: arns.role_arn.clone(),
            redrive_count: 0,
            state_machine_id: arns.state_machine_id.clone(),
            state_machine_name: name.clone(),
        });
        Self {
            start_problem: tasks::start_problem(&machine.states, &tasks),
            anonymous,
            jsonata,
            plan: Arc::new(Plan::new(&machine)),
            arns: Arc::new(arns),
            machine: Arc::new(machine),
            name,
            tasks: Arc::new(tasks),
        }
    }

    /// Uses `engine` for the machine's JSONata expressions instead of the default one.
    pub fn with_jsonata_engine(mut self, engine: Arc<dyn JsonataEngine>) -> Self {
        self.jsonata = JsonataCache::for_machine(&self.machine, engine).map(Arc::new);
        self
    }

    /// Runs executions as `role_arn` (their `ExecutionStarted.roleArn`, `$$.Execution.RoleArn`).
    pub fn with_role_arn(mut self, role_arn: &str) -> Self {
        let arns = MachineArns {
            execution_prefix: self.arns.execution_prefix.clone(),
            role_arn: role_arn.to_string(),
            state_machine_id: self.arns.state_machine_id.clone(),
        };
        self.arns = Arc::new(arns);
        Arc::make_mut(&mut self.anonymous).role_arn = role_arn.to_string();
        self
    }

    /// The role executions run as.
    pub fn role_arn(&self) -> &str {
        &self.arns.role_arn
    }

    /// The state machine.
    pub fn machine(&self) -> &StateMachine {
        &self.machine
    }

    /// True when some expression reads the context object, so its facts must be kept.
    fn uses_context(&self) -> bool {
        self.plan.reads_context_object
    }

    /// True when an execution's name and ARN can be seen: through the context object, or by a
    /// Task (its request and task token carry the execution ARN).
    fn needs_identity(&self) -> bool {
        self.plan.reads_context_object || self.plan.has_tasks
    }

    /// The top-level scope.
    fn top(&self) -> Scope<'_> {
        self.plan.top(&self.machine)
    }

    /// The task handlers.
    pub(crate) fn tasks(&self) -> &TaskRegistry {
        &self.tasks
    }

    /// Runs one execution to its end.
    pub async fn execute(&self, input: Value, mut options: ExecutionOptions) -> ExecutionResult {
        // A subscriber sees every execution by name: one is made when none was given.
        let span = if trace::wants_execution_name() {
            let n = options.name.get_or_insert_with(new_uuid);
            trace::execution(&self.name, Some(n), Some(&self.arns.execution_arn(n)))
        } else {
            tracing::Span::none()
        };
        let begun = {
            let _entered = span.enter();
            self.begin(input, options)
        };
        match begun {
            Begun::Ended(result) => result,
            // Boxed: executors move the future they are given by value, and the rest of an
            // execution is a large future; this one holds a pointer.
            Begun::Running(running) => Box::pin(self.run_rest(running).instrument(span)).await,
        }
    }

    /// The execution's facts. `Execution.StartTime` (and `Execution.Input`) are only read
    /// through `$$`, so they are made only when the machine reads it.
    pub(super) fn execution_info(
        &self,
        name: String,
        start_time: impl FnOnce() -> String,
        input: &Value,
        redrive_count: u64,
    ) -> ExecutionInfo {
        let arns = &self.arns;
        ExecutionInfo {
            id: arns.execution_arn(&name),
            name,
            start_time: if self.uses_context() {
                start_time()
            } else {
                String::new()
            },
            // Kept only when `$$` is read somewhere: copying a large input costs.
            input: if self.uses_context() {
                input.clone()
            } else {
                Value::Null
            },
            role_arn: arns.role_arn.clone(),
            redrive_count,
            state_machine_id: arns.state_machine_id.clone(),
            state_machine_name: self.name.clone(),
        }
    }

    /// Starts an execution: its `ExecutionStarted` event, then, when the machine has no
    /// `TimeoutSeconds`, the Pass, Choice, Succeed and Fail states from `StartAt` on, without a
    /// future. A machine made of such states ends here; otherwise what remains is returned.
    pub(super) fn begin(&self, input: Value, options: ExecutionOptions) -> Begun<'_> {
        let needs_time = options.keep_history || self.uses_context();
        let clock = if needs_time {
            Clock::new()
        } else {
            Clock::lazy()
        };
        let info = if self.needs_identity() || options.name.is_some() || options.keep_history {
            let exec_name = options.name.unwrap_or_else(new_uuid);
            Info::Own(Arc::new(self.execution_info(
                exec_name,
                || clock.now_rfc3339(),
                &input,
                0,
            )))
        } else {
            // Nothing can read the execution's name or ARN: no UUID, no strings.
            Info::Shared(&self.anonymous)
        };
        let history = History::new(options.keep_history);
        let exec = Exec {
            tasks: &self.tasks,
            info,
            clock,
            payload_limit: options.payload_limit,
            needs_time,
            jsonata: self.jsonata.as_deref(),
            dur: None,
            broker: None,
        };
        let started = history.push(
            0,
            EventType::ExecutionStarted,
            || exec.clock.now_rfc3339(),
            || {
                Some((
                    "executionStartedEventDetails",
                    json!({
                        "input": to_text(&input),
                        "inputDetails": {"truncated": false},
                        "roleArn": exec.info.role_arn,
                    }),
                ))
            },
        );
        if let Some(e) = &self.start_problem {
            return Begun::Ended(conclude(
                &exec.clock,
                &history,
                Err(Ending::Failed(e.clone())),
                true,
            ));
        }
        let mut size = match exec.payload_limit {
            None => None,
            Some(limit) => match size::checked(&input, limit) {
                Some(b) => Some(b),
                None => {
                    let e = crate::quotas::payload_exceeded(None);
                    return Begun::Ended(conclude(
                        &exec.clock,
                        &history,
                        Err(Ending::Failed(e)),
                        true,
                    ));
                }
            },
        };
        let sm = &self.machine;
        let mut prev = started;
        let mut vars = Variables::new();
        let (state, input) = if sm.timeout_seconds.is_none() {
            let prefix = exec.run_simple_prefix(
                self.top(),
                input,
                &mut size,
                &mut vars,
                &history,
                &mut prev,
            );
            match prefix {
                Ok(Prefix::Ended(output)) => {
                    return Begun::Ended(conclude(&exec.clock, &history, Ok(output), true))
                }
                Err(e) => {
                    return Begun::Ended(conclude(
                        &exec.clock,
                        &history,
                        Err(Ending::Failed(e)),
                        true,
                    ))
                }
                Ok(Prefix::Awaits(state, input)) => (Some(state), input),
            }
        } else {
            (None, input)
        };
        Begun::Running(Box::new(Running {
            exec,
            history,
            prev,
            vars,
            state,
            input,
        }))
    }

    /// Runs an execution on from where [`Self::begin`] stopped, to its end.
    pub(super) async fn run_rest(&self, running: Box<Running<'_>>) -> ExecutionResult {
        let Running {
            exec,
            history,
            mut prev,
            mut vars,
            state,
            input,
        } = *running;
        let run = exec.run_scope(
            self.top(),
            state,
            input,
            &mut vars,
            &history,
            &mut prev,
            None,
            None,
        );
        let outcome = match self.machine.timeout_seconds {
            Some(t) => match tokio::time::timeout(Duration::from_secs(t), run).await {
                Ok(r) => r.map_err(Ending::Failed),
                Err(_) => Err(Ending::TimedOut),
            },
            None => run.await.map_err(Ending::Failed),
        };
        conclude(&exec.clock, &history, outcome, true)
    }

    /// Runs (or continues, after a crash) a Standard execution whose `ExecutionStarted` event is
    /// stored: every observable step is committed to `store` before it happens.
    pub(crate) async fn run_durable(
        &self,
        rec: &crate::store::ExecutionRecord,
        store: Arc<dyn crate::store::Store>,
        frames: Vec<(String, String)>,
        last_event: u64,
        broker: Arc<callbacks::Broker>,
    ) -> ExecutionResult {
        let input: Value = crate::quotas::read_json(&rec.input).unwrap_or(Value::Null);
        let start =
            jiff::Timestamp::from_millisecond(rec.start_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let mut info = self.execution_info(
            rec.name.clone(),
            || format!("{start:.3}"),
            &input,
            rec.redrive_count,
        );
        // The stored ARN, as the store knows it.
        info.id = rec.arn.clone();
        let info = Info::Own(Arc::new(info));
        let history = History::resume(last_event);
        let dur = Arc::new(Durable::new(rec.arn.clone(), store, frames));
        let top = dur.take_resume("");
        let exec = Exec {
            tasks: &self.tasks,
            info,
            clock: broker.clock.clone(),
            payload_limit: Some(size::PAYLOAD_LIMIT),
            needs_time: true,
            jsonata: self.jsonata.as_deref(),
            dur: Some(dur.clone()),
            broker: Some(broker.clone()),
        };
        let sm = &self.machine;
        // The event the first state follows: ExecutionStarted, or the redrive event.
        let mut prev = last_event;
        let span = trace::execution(&self.name, Some(&rec.name), Some(&rec.arn));
        let run = async {
            let mut vars = Variables::new();
            exec.run_scope(
                self.top(),
                None,
                input,
                &mut vars,
                &history,
                &mut prev,
                Some(""),
                top,
            )
            .await
        }
        .instrument(span);
        let outcome = match sm.timeout_seconds {
            Some(t) => {
                // A redriven execution has its whole TimeoutSeconds again from the redrive.
                let from = rec.redrive_ms.unwrap_or(rec.start_ms);
                let left = durable::until(&exec.clock, from + t as i64 * 1000);
                match tokio::time::timeout(left, run).await {
                    Ok(r) => r.map_err(Ending::Failed),
                    Err(_) => Err(Ending::TimedOut),
                }
            }
            None => run.await.map_err(Ending::Failed),
        };
        // The events stay in the history too: the final snapshot commits them.
        let result = conclude(&exec.clock, &history, outcome, false);
        let mut c = dur.snapshot(&history);
        if result.status == ExecutionStatus::Succeeded {
            c.frames.clear();
            c.clear_frames = true;
        }
        // A failed or timed-out execution keeps its checkpoints: a redrive continues from them.
        c.put_tasks.clear();
        c.remove_tasks.clear();
        c.clear_tasks = true;
        c.status = Some(crate::store::StatusChange {
            status: result.status,
            output: result.output.as_ref().map(to_text),
            error: result.error.clone(),
            cause: result.cause.clone(),
            stop_ms: Some(exec.clock.now().as_millisecond()),
            redrive_count: None,
            redrive_ms: None,
        });
        if let Err(e) = dur.commit(c).await {
            return ExecutionResult {
                status: ExecutionStatus::Failed,
                output: None,
                error: Some(names::RUNTIME.to_string()),
                cause: Some(e.cause),
                history: Vec::new(),
            };
        }
        result
    }
}

/// Ends an execution, whichever driver ran it (the interpreter or the compiled form): records
/// its terminal event and builds its result; `take` moves the kept events into it (else they
/// are copied and stay in `history`).
pub(crate) fn conclude(
    clock: &Clock,
    history: &History,
    outcome: Result<Value, Ending>,
    take: bool,
) -> ExecutionResult {
    let prev = history.len();
    let events = || {
        if take {
            history.take_events()
        } else {
            history.events()
        }
    };
    match outcome {
        Ok(output) => {
            history.push(
                prev,
                EventType::ExecutionSucceeded,
                || clock.now_rfc3339(),
                || {
                    Some((
                        "executionSucceededEventDetails",
                        json!({"output": to_text(&output), "outputDetails": {"truncated": false}}),
                    ))
                },
            );
            ExecutionResult {
                status: ExecutionStatus::Succeeded,
                output: Some(output),
                error: None,
                cause: None,
                history: events(),
            }
        }
        Err(Ending::Failed(e)) => {
            history.push(
                prev,
                EventType::ExecutionFailed,
                || clock.now_rfc3339(),
                || Some(("executionFailedEventDetails", error_details(&e))),
            );
            ExecutionResult {
                status: ExecutionStatus::Failed,
                output: None,
                error: Some(e.error),
                cause: Some(e.cause),
                history: events(),
            }
        }
        Err(Ending::TimedOut) => {
            let e = StatesError::new(
                names::TIMEOUT,
                "The execution ran longer than the state machine's TimeoutSeconds",
            );
            history.push(
                prev,
                EventType::ExecutionTimedOut,
                || clock.now_rfc3339(),
                || Some(("executionTimedOutEventDetails", error_details(&e))),
            );
            ExecutionResult {
                status: ExecutionStatus::TimedOut,
                output: None,
                error: Some(e.error),
                cause: Some(e.cause),
                history: events(),
            }
        }
    }
}

/// How an execution that did not succeed ended.
pub(crate) enum Ending {
    /// An uncaught error.
    Failed(StatesError),
    /// It ran past the machine's `TimeoutSeconds`.
    TimedOut,
}

/// An execution after [`Interpreter::begin`].
pub(super) enum Begun<'i> {
    /// It ended without awaiting.
    Ended(ExecutionResult),
    /// It awaits at `state`.
    Running(Box<Running<'i>>),
}

/// An execution started, to be continued from `state` (`None`: from `StartAt`).
pub(super) struct Running<'i> {
    exec: Exec<'i>,
    history: History,
    prev: u64,
    vars: Variables,
    state: Option<StateId>,
    input: Value,
}

/// Where a run of states that never await stopped.
pub(super) enum Prefix {
    /// The scope ended with this output.
    Ended(Value),
    /// The state `.0`, entered with input `.1`, awaits.
    Awaits(StateId, Value),
}
