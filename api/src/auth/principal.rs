//! Who is acting: an account or an API client, with its role and, for a unit account, its
//! unit, for an API client, its scope. Services take it and decide with `require` (and the
//! narrower checks below) what it may do; the JSON API and the console build it from a
//! token or a session and never decide themselves.

use uuid::Uuid;

use crate::auth::policy::Permission;
use crate::auth::{Role, Scope};
use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone)]
pub struct Principal {
    /// An account's id, or an API client's.
    pub subject: String,
    pub role: Role,
    /// Unit accounts: their unit.
    pub unit_id: Option<Uuid>,
    /// A township's unit account: the units under its township (its stations, windows and
    /// village committees), which it sees and acts for besides its own. Empty otherwise.
    pub stations: Vec<Uuid>,
    /// API clients only: the campaigns (and units) they may touch.
    pub scope: Option<Scope>,
}

impl Principal {
    /// The operator of this installation, acting through the command line (creating the first
    /// account, loading the demo): the office's rights, named in the audit log by `name`.
    pub fn operator(name: &str) -> Self {
        Self {
            subject: format!("operator:{name}"),
            role: Role::Admin,
            unit_id: None,
            stations: Vec::new(),
            scope: None,
        }
    }

    /// Whether the role may do what `permission` allows (scopes aside).
    pub fn may(&self, permission: Permission) -> bool {
        permission.roles().contains(&self.role)
    }

    /// Refuses with 403 unless the role may do what `permission` allows.
    pub fn require(&self, permission: Permission) -> ApiResult<()> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("the {} role may not do this", self.role.as_str())))
        }
    }

    /// For the `unit` role, the units it may see: its own and, for a township's account, the
    /// units under the township; `None` means all units.
    pub fn unit_scope(&self) -> ApiResult<Option<Vec<Uuid>>> {
        match (self.role, self.unit_id) {
            (Role::Unit, Some(unit)) => Ok(Some(std::iter::once(unit).chain(self.stations.iter().copied()).collect())),
            (Role::Unit, None) => Err(ApiError::Forbidden("this unit account is not linked to a unit".to_owned())),
            _ => Ok(None),
        }
    }

    /// A unit account may act for its own unit only (a township's, also for the units under
    /// it); other roles that passed `require` for all units.
    pub fn require_unit_access(&self, unit_id: Uuid) -> ApiResult<()> {
        match self.unit_scope()? {
            Some(units) if !units.contains(&unit_id) => Err(ApiError::Forbidden(
                "a unit account may act for its own unit only (a township's, also for its stations)".to_owned(),
            )),
            _ => Ok(()),
        }
    }

    /// API clients may touch only the campaigns of their scope.
    pub fn require_campaign(&self, campaign_id: Uuid) -> ApiResult<()> {
        match &self.scope {
            Some(scope) if !scope.campaigns.contains(&campaign_id) => {
                Err(ApiError::Forbidden("this client may not touch that campaign".to_owned()))
            }
            _ => Ok(()),
        }
    }

    /// Pollsters limited to some units may push for those only.
    pub fn require_pushing_for(&self, unit_id: Uuid) -> ApiResult<()> {
        match self.scope.as_ref().and_then(|s| s.units.as_ref()) {
            Some(units) if !units.contains(&unit_id) => {
                Err(ApiError::Forbidden(format!("this client may not push for unit {unit_id}")))
            }
            _ => Ok(()),
        }
    }

    /// The account acting, for account tokens (not API clients, not the operator).
    pub fn account_id(&self) -> Option<Uuid> {
        if self.scope.is_some() { None } else { self.subject.parse().ok() }
    }

    /// The API client id, for client tokens.
    pub fn client_id(&self) -> Option<Uuid> {
        self.scope.as_ref().and_then(|_| self.subject.parse().ok())
    }

    /// The API client acting, or 403 for anyone else.
    pub fn require_client(&self, what: &str) -> ApiResult<Uuid> {
        self.client_id().ok_or_else(|| ApiError::Forbidden(format!("{what} belong to API clients: use a client token")))
    }

    /// Whether small cells' rates are shown to this principal (see `PINGYI_MIN_CELL_SIZE`).
    pub fn sees_small_cells(&self) -> bool {
        self.role == Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(role: Role, unit_id: Option<Uuid>) -> Principal {
        Principal { subject: "someone".to_owned(), role, unit_id, stations: Vec::new(), scope: None }
    }

    #[test]
    fn a_unit_account_acts_for_its_own_unit_only() {
        let (own, other) = (Uuid::new_v4(), Uuid::new_v4());
        let unit = of(Role::Unit, Some(own));
        assert!(unit.require_unit_access(own).is_ok());
        assert!(unit.require_unit_access(other).is_err());
        assert!(of(Role::Unit, None).require_unit_access(own).is_err(), "a unit account without a unit");
        assert!(of(Role::Admin, None).require_unit_access(other).is_ok());
    }

    #[test]
    fn a_townships_account_acts_for_its_stations_too() {
        let (township, station, elsewhere) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let account = Principal { stations: vec![station], ..of(Role::Unit, Some(township)) };
        assert!(account.require_unit_access(township).is_ok());
        assert!(account.require_unit_access(station).is_ok());
        assert!(account.require_unit_access(elsewhere).is_err());
        assert_eq!(account.unit_scope().ok().flatten(), Some(vec![township, station]));
    }

    #[test]
    fn a_client_is_held_to_its_campaigns_and_units() {
        let (campaign, unit) = (Uuid::new_v4(), Uuid::new_v4());
        let client = Principal {
            subject: Uuid::new_v4().to_string(),
            role: Role::Pollster,
            unit_id: None,
            stations: Vec::new(),
            scope: Some(Scope { campaigns: vec![campaign], units: Some(vec![unit]) }),
        };
        assert!(client.require_campaign(campaign).is_ok());
        assert!(client.require_campaign(Uuid::new_v4()).is_err());
        assert!(client.require_pushing_for(unit).is_ok());
        assert!(client.require_pushing_for(Uuid::new_v4()).is_err());
        assert!(client.require_client("pushes").is_ok());
        assert!(of(Role::Admin, None).require_client("pushes").is_err());
    }
}
