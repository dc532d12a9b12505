//! Compile-time checks that `workflow!` emits on the types flowing between states.
//!
//! A proc macro cannot see types, so the macro writes these calls (with the user's tokens as
//! their spans) into a function that is never called: rustc checks them, and a mismatch is a
//! compile error on the handler, the path or the condition it concerns. Every value here is a
//! placeholder of a type; nothing runs.

/// A handler input read from JSON that `ResultPath` or `ResultSelector` assembled (the
/// handler's input merged with its result), which `workflow!` cannot check against the data:
/// serde ignores unknown fields, and a missing one fails the task at run time.
///
/// After such a merge, the next handler takes `serde_json::Value` or a type that opts in:
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct ShipRequest {
///     address: String,
///     charge: String,
/// }
/// impl stepfn::JsonInput for ShipRequest {}
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is read from JSON that `result_path`/`result_selector` assembled, which `workflow!` cannot check",
    label = "this handler's input is the previous state's input merged with its result",
    note = "take `serde_json::Value`, or opt in with `impl stepfn::JsonInput for {Self} {{}}`: its fields are then read at run time (a missing one fails the task with a message naming the state and handler)"
)]
pub trait JsonInput {}

impl JsonInput for serde_json::Value {}
impl JsonInput for serde_json::Map<String, serde_json::Value> {}

/// A placeholder of a type (the workflow's input). Never called.
pub fn value_of<T>() -> T {
    unreachable!("a type check is never run")
}

/// A value of type `Self` reaches a handler that takes `T`: they must be the same type.
#[diagnostic::on_unimplemented(
    message = "this handler takes `{T}`, but the value that reaches it is a `{Self}`",
    label = "takes `{T}`, reached by a `{Self}`",
    note = "a typed value flows unchanged from the workflow's input or the previous handler (through `Next`, Choice rules, Pass and Wait states, a Map's items) into this handler: the types must be the same"
)]
pub trait Reaches<T> {}
impl<T> Reaches<T> for T {}

/// A last state outputs `Self` for a workflow that declares `-> O`.
#[diagnostic::on_unimplemented(
    message = "the workflow's declared output is `{O}`, but this last state outputs a `{Self}`",
    label = "outputs a `{Self}`, not `{O}`",
    note = "what a last state (`end`, `succeed`) outputs is the execution's output: declare `-> {Self}`, or end with a state that outputs `{O}`"
)]
pub trait Outputs<O> {}
impl<T> Outputs<T> for T {}

/// The value is exactly the workflow's declared output type `O`. Never called.
pub fn is_output<O, V: Outputs<O>>(_value: &V) {}

/// What a Map iterates: an array of items.
#[diagnostic::on_unimplemented(
    message = "a Map iterates a JSON array, and `{Self}` is not one",
    label = "not an array",
    note = "the Map's items (`items_path`, or its input) must be a `Vec`, a slice, an array or a `VecDeque`"
)]
pub trait Items {
    /// The type of one item.
    type Item;
}

impl<T> Items for Vec<T> {
    type Item = T;
}
impl<T> Items for [T] {
    type Item = T;
}
impl<T, const N: usize> Items for [T; N] {
    type Item = T;
}
impl<T> Items for std::collections::VecDeque<T> {
    type Item = T;
}
impl<T: Items + ?Sized> Items for Box<T> {
    type Item = T::Item;
}

/// A placeholder of one item of an array. Never called.
pub fn item_of<C: Items + ?Sized>(_items: &C) -> C::Item {
    unreachable!("a type check is never run")
}

/// A value a Choice compares as a number (`NumericEquals`, `NumericLessThan`, …).
#[diagnostic::on_unimplemented(
    message = "this Choice compares `{Self}` as a number",
    label = "not a number",
    note = "a numeric comparison (`<`, `>`, `==` with a number) needs a number field (an integer or a float)"
)]
pub trait Number {}

/// A value a Choice compares as a string (`StringEquals`, `StringMatches`, …).
#[diagnostic::on_unimplemented(
    message = "this Choice compares `{Self}` as a string",
    label = "not a string",
    note = "a string comparison (`==` with a string, `matches`, …) needs a `String` field"
)]
pub trait Text {}

/// A value a Choice compares as a boolean (`BooleanEquals`).
#[diagnostic::on_unimplemented(
    message = "this Choice compares `{Self}` as a boolean",
    label = "not a `bool`",
    note = "`== true` / `== false` needs a `bool` field"
)]
pub trait Boolean {}

macro_rules! numbers {
    ($($t:ty),*) => { $(impl Number for $t {})* };
}
numbers!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize, f32, f64);
impl Text for String {}
impl Text for str {}
impl Text for std::borrow::Cow<'_, str> {}
impl Boolean for bool {}

/// JSON, an optional value (JSON `null` matches no comparison, as in Step Functions) and a box
/// compare as what they hold.
macro_rules! wrappers {
    ($($tr:ident),*) => {$(
        impl $tr for serde_json::Value {}
        impl<T: $tr> $tr for Option<T> {}
        impl<T: $tr + ?Sized> $tr for Box<T> {}
    )*};
}
wrappers!(Number, Text, Boolean);

/// A Choice compares the value as a number. Never called.
pub fn compared_as_number<T: Number + ?Sized>(_value: &T) {}

/// A Choice compares the value as a string. Never called.
pub fn compared_as_text<T: Text + ?Sized>(_value: &T) {}

/// A Choice compares the value as a boolean. Never called.
pub fn compared_as_boolean<T: Boolean + ?Sized>(_value: &T) {}

/// A Choice reads the value (a type test such as `is present`: any type). Never called.
pub fn read<T: ?Sized>(_value: &T) {}
