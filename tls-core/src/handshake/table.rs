//! Transition tables: the one place that says which input each state takes, which handler runs
//! it, and where it may lead.
//!
//! A row names a set of states (most rows have one; a rule such as "HelloRequest is ignored while
//! negotiating" is one row over every negotiating state), an input, the handler, and the states
//! the handler may move to. [`dispatch`] finds the row or refuses the input with
//! `unexpected_message` (naming what the state expected), runs the row's handler, and checks the
//! handler landed where the row says: a handler that strays is an `Error::Internal`, which every
//! test that walks that row turns into a failure. States are typed (`StateKind`s), so a row that
//! names a state that does not exist does not compile.
//!
//! [`Transition`] is the rendered view (one line per state of a row's set) that the Markdown and
//! Graphviz renderers and the snapshot tests read.

use super::{Context, Input, InputKind};
use crate::error::Error;
use std::fmt;
use std::sync::Arc;

/// The states of one side's machine, as a plain enum (no data): what tables and errors name.
pub(crate) trait StateKind: Copy + Eq + fmt::Debug + 'static {
    /// Every state, in table order.
    const ALL: &'static [Self];
    /// The state's name, as tables and `Error::UnexpectedMessage` print it.
    fn name(self) -> &'static str;
}

/// Declares a state-kind enum with its `ALL` list and names, from one list of variants.
macro_rules! state_kinds {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $crate::handshake::table::StateKind for $name {
            const ALL: &'static [Self] = &[$($name::$variant,)+];
            fn name(self) -> &'static str {
                match self { $($name::$variant => stringify!($variant),)+ }
            }
        }
    };
}
pub(crate) use state_kinds;

/// A side's state machine: its states (with their data), their kinds, and its table.
pub(crate) trait Machine: Sized + 'static {
    /// The configuration handlers read.
    type Config;
    /// The data-free names of the states.
    type Kind: StateKind;
    /// Which kind this state is.
    fn kind(&self) -> Self::Kind;
    /// Every step the machine may take.
    fn table() -> &'static [Row<Self>];
}

/// Runs one row's input: the state, consumed, becomes the next state.
pub(crate) type Handler<M> =
    fn(&Arc<<M as Machine>::Config>, M, Input<'_>, &mut Context<'_>) -> Result<M, Error>;

/// Where a row's handler may lead.
pub(crate) enum To<K: 'static> {
    /// One of these states.
    States(&'static [K]),
    /// The state it came from (rules over a set of states, such as ignoring a message).
    Same,
}

/// One row: in any state of `from`, input `on` runs `handler`, which moves to `to`.
pub(crate) struct Row<M: Machine> {
    pub from: &'static [M::Kind],
    pub on: InputKind,
    pub to: To<M::Kind>,
    pub handler: Handler<M>,
    /// Why, in the RFC's terms.
    pub note: &'static str,
}

impl<M: Machine> Row<M> {
    fn leads_to(&self, from: M::Kind, next: M::Kind) -> bool {
        match self.to {
            To::States(to) => to.contains(&next),
            To::Same => next == from,
        }
    }
}

/// The row that lets a state of kind `from` take `kind`, or the `unexpected_message` error. Also
/// asked from a handshake message's 4-byte header, so a message out of place is refused as
/// unexpected whatever its body holds, before the body is buffered or decoded.
pub(crate) fn allowed<M: Machine>(
    from: M::Kind,
    kind: InputKind,
) -> Result<&'static Row<M>, Error> {
    M::table()
        .iter()
        .find(|row| row.on == kind && row.from.contains(&from))
        .ok_or_else(|| unexpected::<M>(from, kind.to_string()))
}

/// `unexpected_message` in state `from`: `got` arrived, the table lists what was expected.
pub(crate) fn unexpected<M: Machine>(from: M::Kind, got: String) -> Error {
    let mut expected = Vec::new();
    for row in M::table().iter().filter(|row| row.from.contains(&from)) {
        let input = row.on.to_string();
        if !expected.contains(&input) {
            expected.push(input);
        }
    }
    Error::UnexpectedMessage {
        state: from.name(),
        got,
        expected: if expected.is_empty() {
            "nothing".into()
        } else {
            expected.join(" or ")
        },
    }
}

/// Runs one input through a machine: refuses what the table does not list, runs the row's
/// handler, and checks the handler landed where the row says.
pub(crate) fn dispatch<M: Machine>(
    config: &Arc<M::Config>,
    state: M,
    input: Input<'_>,
    cx: &mut Context<'_>,
) -> Result<M, Error> {
    let from = state.kind();
    let kind = input.kind();
    let row = allowed::<M>(from, kind)?;
    let next = (row.handler)(config, state, input, cx)?;
    if !row.leads_to(from, next.kind()) {
        return Err(Error::Internal(format!(
            "state machine went from {} on {kind} to {}, which the table does not allow",
            from.name(),
            next.kind().name()
        )));
    }
    Ok(next)
}

/// A handler was run with a state or input its row does not name: a bug in a table, not the
/// peer's doing (`dispatch` only runs a row for the states and input it lists).
pub(crate) fn misrouted<K: StateKind>(state: K, input: InputKind) -> Error {
    Error::Internal(format!(
        "handler run for {input} in state {}, which its row does not name",
        state.name()
    ))
}

/// One allowed step as the renderers show it: in state `from`, input `on` leads to one of `to`.
/// A row over a set of states is one `Transition` per state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The state's name.
    pub from: &'static str,
    /// The input it accepts.
    pub on: InputKind,
    /// The states it may lead to.
    pub to: Vec<&'static str>,
    /// Why, in the RFC's terms.
    pub note: &'static str,
}

/// The client's TLS 1.2 table, one [`Transition`] per (state, input).
pub fn client_transitions() -> Vec<Transition> {
    transitions::<crate::handshake::client::ClientState>()
}

/// The server's TLS 1.2 table, one [`Transition`] per (state, input).
pub fn server_transitions() -> Vec<Transition> {
    transitions::<crate::handshake::server::ServerState>()
}

/// Every state of the client's TLS 1.2 machine, by name.
pub fn client_states() -> Vec<&'static str> {
    state_names::<crate::handshake::client::ClientStateKind>()
}

/// Every state of the server's TLS 1.2 machine, by name.
pub fn server_states() -> Vec<&'static str> {
    state_names::<crate::handshake::server::ServerStateKind>()
}

/// The client's TLS 1.3 table, one [`Transition`] per (state, input).
pub fn client13_transitions() -> Vec<Transition> {
    transitions::<crate::handshake::client::tls13::ClientState>()
}

/// The server's TLS 1.3 table, one [`Transition`] per (state, input).
pub fn server13_transitions() -> Vec<Transition> {
    transitions::<crate::handshake::server::tls13::ServerState>()
}

/// Every state of the client's TLS 1.3 machine, by name.
pub fn client13_states() -> Vec<&'static str> {
    state_names::<crate::handshake::client::tls13::ClientStateKind13>()
}

/// Every state of the server's TLS 1.3 machine, by name.
pub fn server13_states() -> Vec<&'static str> {
    state_names::<crate::handshake::server::tls13::ServerStateKind13>()
}

/// A machine's table, expanded to one [`Transition`] per (state, input).
fn transitions<M: Machine>() -> Vec<Transition> {
    let mut out = Vec::new();
    for row in M::table() {
        for &from in row.from {
            let to = match row.to {
                To::States(to) => to.iter().map(|k| k.name()).collect(),
                To::Same => vec![from.name()],
            };
            out.push(Transition {
                from: from.name(),
                on: row.on,
                to,
                note: row.note,
            });
        }
    }
    out
}

/// The names of a machine's states, in declaration order.
fn state_names<K: StateKind>() -> Vec<&'static str> {
    K::ALL.iter().map(|k| k.name()).collect()
}

/// The transition table as a Markdown table, one row per allowed (state, input) pair.
pub fn render_table(table: &[Transition]) -> String {
    let mut out = String::from("| state | input | next state | note |\n|---|---|---|---|\n");
    for t in table {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            t.from,
            t.on,
            t.to.join(" or "),
            t.note
        ));
    }
    out
}

/// The transition table as a Graphviz digraph.
pub fn render_dot(name: &str, table: &[Transition]) -> String {
    let mut out = format!("digraph {name} {{\n");
    for t in table {
        for to in &t.to {
            out.push_str(&format!("  {} -> {} [label=\"{}\"];\n", t.from, to, t.on));
        }
    }
    out.push_str("}\n");
    out
}

/// In a handler: destructures the state (and the handshake message) its row names, or returns
/// the `misrouted` error (which `dispatch` makes impossible).
macro_rules! take {
    ($state:expr, $input:expr, $state_pat:pat, $msg_pat:pat) => {
        let (kind, on) = ($state.kind(), $input.kind());
        let ($state_pat, $crate::handshake::Input::Handshake { msg: $msg_pat, .. }) =
            ($state, $input)
        else {
            return Err($crate::handshake::table::misrouted(kind, on));
        };
    };
    ($state:expr, $input:expr, $state_pat:pat) => {
        let (kind, on) = ($state.kind(), $input.kind());
        let $state_pat = $state else {
            return Err($crate::handshake::table::misrouted(kind, on));
        };
    };
}
pub(crate) use take;

/// [`take!`] for a TLS 1.3 machine: the message is one that the TLS 1.3 decoder read.
macro_rules! take13 {
    ($state:expr, $input:expr, $state_pat:pat, $msg_pat:pat) => {
        let (kind, on) = ($state.kind(), $input.kind());
        let ($state_pat, $crate::handshake::Input::Handshake13 { msg: $msg_pat, .. }) =
            ($state, $input)
        else {
            return Err($crate::handshake::table::misrouted(kind, on));
        };
    };
}
pub(crate) use take13;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::transcript::Transcript;
    use crate::handshake::Negotiated;
    use crate::record::{RecordReader, RecordWriter};
    use crate::wire::HandshakeType;

    state_kinds! {
        enum ToyKind { Start, Middle, End, }
    }

    /// A machine whose second row's handler strays from its row.
    #[derive(Debug, PartialEq)]
    enum Toy {
        Start,
        Middle,
        End,
    }

    impl Machine for Toy {
        type Config = ();
        type Kind = ToyKind;
        fn kind(&self) -> ToyKind {
            match self {
                Toy::Start => ToyKind::Start,
                Toy::Middle => ToyKind::Middle,
                Toy::End => ToyKind::End,
            }
        }
        fn table() -> &'static [Row<Self>] {
            TOY
        }
    }

    fn to_middle(_: &Arc<()>, _: Toy, _: Input<'_>, _: &mut Context<'_>) -> Result<Toy, Error> {
        Ok(Toy::Middle)
    }

    fn strays(_: &Arc<()>, _: Toy, _: Input<'_>, _: &mut Context<'_>) -> Result<Toy, Error> {
        Ok(Toy::Start)
    }

    static TOY: &[Row<Toy>] = &[
        Row {
            from: &[ToyKind::Start],
            on: InputKind::ChangeCipherSpec,
            to: To::States(&[ToyKind::Middle]),
            handler: to_middle,
            note: "",
        },
        Row {
            from: &[ToyKind::Middle],
            on: InputKind::ChangeCipherSpec,
            to: To::States(&[ToyKind::End]),
            handler: strays,
            note: "",
        },
        Row {
            from: &[ToyKind::Start, ToyKind::Middle],
            on: InputKind::Handshake(HandshakeType::HelloRequest),
            to: To::Same,
            handler: to_middle,
            note: "",
        },
    ];

    fn run(state: Toy) -> Result<Toy, Error> {
        let (mut writer, mut reader, mut tx) =
            (RecordWriter::new(), RecordReader::new(), Vec::new());
        let mut transcript = Transcript::new();
        let mut negotiated = Negotiated::default();
        let (mut pending_read, mut handshake_done, mut exporter) = (None, false, None);
        let mut early = crate::handshake::EarlyData::default();
        let mut cx = Context {
            writer: &mut writer,
            reader: &mut reader,
            tx: &mut tx,
            transcript: &mut transcript,
            negotiated: &mut negotiated,
            pending_read: &mut pending_read,
            handshake_done: &mut handshake_done,
            exporter: &mut exporter,
            trailing_handshake: false,
            early: &mut early,
        };
        dispatch(&Arc::new(()), state, Input::ChangeCipherSpec, &mut cx)
    }

    #[test]
    fn a_handler_that_strays_from_its_row_is_an_internal_error() {
        assert_eq!(run(Toy::Start).unwrap(), Toy::Middle);
        let err = run(Toy::Middle).unwrap_err();
        assert!(
            matches!(&err, Error::Internal(m) if m.contains("from Middle on ChangeCipherSpec to Start")),
            "{err:?}"
        );
    }

    #[test]
    fn an_input_no_row_lists_is_unexpected_and_names_what_was_expected() {
        assert_eq!(
            run(Toy::End).unwrap_err(),
            Error::UnexpectedMessage {
                state: "End",
                got: "ChangeCipherSpec".into(),
                expected: "nothing".into(),
            }
        );
        assert_eq!(
            unexpected::<Toy>(ToyKind::Middle, "application data".into()),
            Error::UnexpectedMessage {
                state: "Middle",
                got: "application data".into(),
                expected: "ChangeCipherSpec or HelloRequest".into(),
            }
        );
    }

    #[test]
    fn a_row_over_a_state_set_renders_once_per_state_and_stays_in_place() {
        let rows = transitions::<Toy>();
        let hello: Vec<_> = rows
            .iter()
            .filter(|t| t.on == InputKind::Handshake(HandshakeType::HelloRequest))
            .map(|t| (t.from, t.to.clone()))
            .collect();
        assert_eq!(
            hello,
            [("Start", vec!["Start"]), ("Middle", vec!["Middle"])]
        );
        // `To::Same` holds the handler to its own state: moving on is a stray.
        let row = &TOY[2];
        assert!(row.leads_to(ToyKind::Middle, ToyKind::Middle));
        assert!(!row.leads_to(ToyKind::Start, ToyKind::Middle));
    }
}
