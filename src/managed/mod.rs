//! mdatp's managed configuration (`mdatp_managed.json`): loading it leniently. Checking it
//! against the documented keys comes with `config check`.

pub mod config;
pub mod edit;
pub mod keys;
pub mod scan;
