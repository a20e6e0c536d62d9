pub use crate::sources::demo::Demo;
