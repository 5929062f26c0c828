import msgspec
from hypothesis import given
from hypothesis import strategies as st

from runar.events import MetricsLogged, NoteAdded
from runar.views.batch import fold_many
from runar.views.summary import RunSummary
from runar.views.summary_fold import fold

_events = st.lists(
    st.tuples(
        st.sampled_from([("loss",), ("loss", "acc"), ("acc", "loss")]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(0, 3),  # ts, with ties
        st.sampled_from(["a", "b"]),
        st.booleans(),
    ),
    max_size=40,
)


@given(_events)
def test_fold_many_equals_folding_one_by_one(items):
    events = []
    for seq, (keys, value, ts, writer, note) in enumerate(items, start=1):
        event = NoteAdded(text="n") if note else MetricsLogged(values=dict.fromkeys(keys, value))
        event.ts, event.writer, event.seq = ts, writer, seq
        events.append(event)
    one, many = RunSummary(run_id="r"), RunSummary(run_id="r")
    for event in events:
        fold(one, event)
    fold_many(many, events)
    canonical = msgspec.msgpack.Encoder(order="sorted")
    assert canonical.encode(one) == canonical.encode(many)
