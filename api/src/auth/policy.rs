//! Which roles may do what: the one table of the service's permissions. Services ask for a
//! permission with `Principal::require` (and narrow it further by unit or client scope where
//! the permission says so); the console asks `Principal::may` to leave out what a role may
//! not do.
//!
//! The roles: `admin` is the evaluation office; `observer` reads everything (the CPPCC office,
//! the leading group); `approver` approves results (leading-group members); `unit` reads and
//! acts for its own unit only; `pollster` and `reader` are API clients, held to the campaigns
//! (and, for pollsters, units) of their scope.

use crate::auth::Role;

use Role::{Admin, Approver, Observer, Pollster, Reader, Unit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Create and list accounts.
    ManageAccounts,
    /// Register, rotate, disable and enable API clients.
    ManageClients,
    /// Read the register: units, campaigns, questionnaires and their templates.
    ReadRegister,
    /// Change the register and run a campaign: units, campaigns, their phases, settings and
    /// units, questionnaires, links, evaluators, supervision notices and violations.
    ManageCampaigns,
    /// Read the survey links of a campaign, their posters and QR codes in bulk.
    ReadLinks,
    /// Set links' ballot controls, issue invitation codes, exclude batches and undo that.
    ManageIntegrity,
    /// Read the burst report and the exclusions.
    ReadIntegrity,
    /// Read a campaign's units (unit accounts: narrowed to their own unit where it matters).
    ReadCampaignUnits,
    /// Read the anonymous representatives' codes and groups.
    ReadEvaluators,
    /// Read supervision notices and violation cases.
    ReadEvaluation,
    /// Open, issue codes for and close conference sessions.
    RunConference,
    /// Compute results and publish approved ones.
    ManageResults,
    /// Approve a computed result (two distinct approvers freeze it).
    ApproveResults,
    /// Read result versions and their reports.
    ReadResults,
    /// Read the hash-chained audit log and verify it.
    ReadAudit,
    /// Push raw responses and summary figures (pollster clients).
    PushResults,
    /// Read pollsters' summary figures.
    ReadPollsterFigures,
    /// Read the anonymous response rows and their exports (pollsters: their own rows).
    ReadRows,
    /// Read satisfaction reports (unit accounts: their own unit).
    ReadSatisfaction,
    /// Export satisfaction figures.
    ExportSatisfaction,
    /// Record problems and measures, change measures' status, submit rectification reports
    /// (unit accounts: for their own unit; only admins verify a measure).
    ActOnRectification,
    /// Mark a rectification measure verified.
    VerifyMeasures,
    /// Read problems and measures (unit accounts: their own unit's).
    ReadRectification,
    /// Read rectification reports (unit accounts: their own unit's).
    ReadRectificationReports,
    /// Manage webhook subscriptions (API clients their own; admins see all).
    ManageWebhooks,
    /// Define a campaign's deliverables and accept or return hand-ins.
    ManageDeliverables,
    /// Hand in a deliverable (unit accounts: for their own unit).
    HandIn,
    /// Read deliverables and hand-ins (unit accounts: their own unit's; observers and
    /// approvers: those the CPPCC office receives).
    ReadDeliverables,
}

impl Permission {
    /// The roles that have this permission.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Self::ManageAccounts
            | Self::ManageClients
            | Self::ManageCampaigns
            | Self::ManageIntegrity
            | Self::RunConference
            | Self::ManageResults
            | Self::VerifyMeasures
            | Self::ManageDeliverables => &[Admin],
            Self::ReadRegister => &[Admin, Observer, Unit, Pollster, Reader, Approver],
            Self::ReadLinks | Self::ReadIntegrity | Self::ReadEvaluators | Self::ReadAudit => &[Admin, Observer],
            Self::ReadCampaignUnits | Self::ReadSatisfaction => &[Admin, Observer, Reader, Unit, Approver],
            Self::ReadEvaluation | Self::ReadResults => &[Admin, Observer, Approver, Reader],
            Self::ApproveResults => &[Approver],
            Self::PushResults => &[Pollster],
            Self::ReadPollsterFigures | Self::ReadRows => &[Admin, Observer, Reader, Pollster],
            Self::ExportSatisfaction => &[Admin, Observer, Reader],
            Self::ActOnRectification => &[Admin, Unit],
            Self::ReadRectification => &[Admin, Observer, Unit],
            Self::ReadRectificationReports => &[Admin, Observer, Approver, Unit],
            Self::ManageWebhooks => &[Admin, Pollster, Reader],
            Self::HandIn => &[Admin, Unit],
            Self::ReadDeliverables => &[Admin, Observer, Approver, Unit],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes to the register and the evaluation are the office's alone; approval is the
    /// leading group's alone.
    #[test]
    fn the_office_writes_and_the_leading_group_approves() {
        for permission in [
            Permission::ManageAccounts,
            Permission::ManageClients,
            Permission::ManageCampaigns,
            Permission::ManageIntegrity,
            Permission::RunConference,
            Permission::ManageResults,
        ] {
            assert_eq!(permission.roles(), [Admin], "{permission:?}");
        }
        assert_eq!(Permission::ApproveResults.roles(), [Approver]);
        assert!(!Permission::ReadAudit.roles().contains(&Unit));
    }
}
