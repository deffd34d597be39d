//! What the relay's handlers share.

use std::collections::BTreeMap;
use std::sync::Arc;

use kiosk_core::event::Event;
use kiosk_core::ids::EventId;

/// Shared, cheaply cloned state.
#[derive(Debug, Clone, Default)]
pub struct AppState {
    events: Arc<BTreeMap<EventId, Event>>,
}

impl AppState {
    /// A relay that knows `events`.
    pub fn with_events(events: impl IntoIterator<Item = Event>) -> AppState {
        let events = events.into_iter().map(|e| (e.id.clone(), e)).collect();
        AppState {
            events: Arc::new(events),
        }
    }

    /// A relay holding the demo event.
    pub fn demo() -> AppState {
        AppState::with_events([kiosk_core::demo::demo_event()])
    }

    pub fn event(&self, id: &EventId) -> Option<&Event> {
        self.events.get(id)
    }
}
