//! The tool catalogue, built once per process: the tool router (every tool's input and output schema generated once) and, per [`ToolScope`], the list a token of that scope gets from `tools/list`.
//!
//! An HTTP request gets a handler of its own (the transport is stateless), so a router built in
//! [`TelegramMcp::new`] would be rebuilt, with its twenty-one tool descriptions, on every request.
//! The catalogue is immutable once built: handlers share its router, and `tools/list` clones a
//! cached list (the schemas inside are shared, not copied).

use super::TelegramMcp;
use crate::tools::ToolScope;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::Tool;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Every tool of the server, and the tool lists handed out so far.
pub(super) struct Catalog {
    /// Routes tool calls; one for all handlers.
    router: Arc<ToolRouter<TelegramMcp>>,
    /// The tools of each scope asked for so far, sorted by name.
    lists: Mutex<HashMap<ToolScope, Arc<[Tool]>>>,
}

impl Catalog {
    /// The process's catalogue (built on first use).
    pub(super) fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog {
            router: Arc::new(TelegramMcp::tool_router() + TelegramMcp::live_router()),
            lists: Mutex::default(),
        })
    }

    /// The shared tool router.
    pub(super) fn router(&self) -> Arc<ToolRouter<TelegramMcp>> {
        self.router.clone()
    }

    /// The tools a token of `scope` may use, sorted by name; built on the first ask for `scope`.
    pub(super) fn tools_for(&self, scope: ToolScope) -> Arc<[Tool]> {
        let mut lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        let list = lists
            .entry(scope)
            .or_insert_with(|| self.router.list_all().into_iter().filter(|t| scope.allows(&t.name).is_ok()).collect());
        list.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Access, ChatRule, Policy};

    fn names(tools: &[Tool]) -> Vec<&str> {
        tools.iter().map(|t| t.name.as_ref()).collect()
    }

    #[test]
    fn the_router_and_each_scopes_list_are_built_once_and_shared() {
        let catalog = Catalog::get();
        assert!(std::ptr::eq(catalog, Catalog::get()));
        assert!(Arc::ptr_eq(&catalog.router(), &Catalog::get().router()));
        let read = ToolScope::of(&Policy { access: Access::Read, ..Policy::default() });
        assert!(Arc::ptr_eq(&catalog.tools_for(read), &catalog.tools_for(read)));
    }

    #[test]
    fn each_scope_lists_exactly_the_tools_its_policy_allows() {
        let catalog = Catalog::get();
        let all = catalog.router.list_all();
        let allowlist = Some(vec![ChatRule { id: 1, title: None }]);
        for access in [Access::Read, Access::Write, Access::Full] {
            for allow_chats in [None, allowlist.clone()] {
                let policy = Policy { access, allow_chats, ..Policy::default() };
                let expected: Vec<&str> = all
                    .iter()
                    .filter(|t| crate::tools::tool_allowed(&policy, &t.name).is_ok())
                    .map(|t| t.name.as_ref())
                    .collect();
                let listed = catalog.tools_for(ToolScope::of(&policy));
                assert_eq!(names(&listed), expected, "{access:?}, allowlist {}", policy.has_allowlist());
                assert!(listed.iter().all(|t| t.output_schema.is_some()));
            }
        }
        let full = catalog.tools_for(ToolScope::of(&Policy { access: Access::Full, ..Policy::default() }));
        assert_eq!(names(&full), names(&all), "a full token sees every tool");
        let fenced = catalog.tools_for(ToolScope::of(&Policy {
            access: Access::Full,
            allow_chats: allowlist,
            ..Policy::default()
        }));
        assert!(!names(&fenced).contains(&"send_message_to_phone"), "an allowlist cannot name a phone number's chat");
    }
}
