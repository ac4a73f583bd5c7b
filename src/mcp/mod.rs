//! The MCP face of the server: tools, replies, resources, prompts and transports.

pub mod compact;
pub mod http;
pub mod registry;
pub mod reply;
pub mod server;
pub mod tool;
pub mod wire;

pub use registry::Registry;
pub use reply::Reply;
pub use server::McpServer;
pub use tool::{Backend, Tool, ToolInfo};
