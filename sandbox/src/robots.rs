//! The test robots of the test stand: which regulator answers what, and when (in sandbox time).
//!
//! FNS (`ifns-code`): `0087` accepts, `0088` rejects, `0085` asks for clarification. Rosstat
//! (`togs-code`): `00-87` accepts, `00-88` rejects. Every regulator document arrives with a `reply`
//! link for the taxpayer's receipt; the docflow finishes once the robot has said everything and
//! every receipt is sent.

use serde::{Deserialize, Serialize};

/// A test robot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Robot {
    /// FNS `0087`.
    FnsAccepts,
    /// FNS `0088`.
    FnsRejects,
    /// FNS `0085`.
    FnsClarifies,
    /// Rosstat `00-87`.
    RosstatAccepts,
    /// Rosstat `00-88`.
    RosstatRejects,
}

/// One answer of a robot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RobotStep {
    /// Seconds of sandbox time after sending.
    pub after_secs: i64,
    /// Document type, after `urn:document:{docflow type}-`.
    pub document: &'static str,
    /// Docflow status URN suffix once it arrived.
    pub status: &'static str,
    /// Success state URN suffix it sets, if any.
    pub success_state: Option<&'static str>,
}

const DATE_CONFIRMATION: RobotStep =
    RobotStep { after_secs: 60, document: "date-confirmation", status: "delivered", success_state: None };

impl Robot {
    /// The robot answering a docflow of `docflow_type` (short, without `urn:docflow:`) sent to
    /// `recipient`, if any.
    pub fn for_recipient(docflow_type: &str, recipient: &str) -> Option<Self> {
        match (docflow_type, recipient) {
            ("fns534-report", "0087") => Some(Self::FnsAccepts),
            ("fns534-report", "0088") => Some(Self::FnsRejects),
            ("fns534-report", "0085") => Some(Self::FnsClarifies),
            ("stat-report", "00-87") => Some(Self::RosstatAccepts),
            ("stat-report", "00-88") => Some(Self::RosstatRejects),
            _ => None,
        }
    }

    /// The robot's answers in order.
    pub fn steps(self) -> &'static [RobotStep] {
        const FNS_ACCEPTS: &[RobotStep] = &[
            DATE_CONFIRMATION,
            RobotStep {
                after_secs: 120,
                document: "acceptance-result-positive",
                status: "response-arrived",
                success_state: None,
            },
            RobotStep {
                after_secs: 180,
                document: "processing-result-ok",
                status: "response-arrived",
                success_state: Some("successful"),
            },
        ];
        const FNS_REJECTS: &[RobotStep] = &[
            DATE_CONFIRMATION,
            RobotStep {
                after_secs: 120,
                document: "acceptance-result-negative",
                status: "response-arrived",
                success_state: Some("failed"),
            },
        ];
        const FNS_CLARIFIES: &[RobotStep] = &[
            DATE_CONFIRMATION,
            RobotStep {
                after_secs: 120,
                document: "acceptance-result-positive",
                status: "response-arrived",
                success_state: None,
            },
            RobotStep {
                after_secs: 180,
                document: "processing-result-precise",
                status: "response-arrived",
                success_state: Some("warning"),
            },
        ];
        const ROSSTAT_ACCEPTS: &[RobotStep] = &[
            DATE_CONFIRMATION,
            RobotStep {
                after_secs: 120,
                document: "protocol-v2-positive",
                status: "response-arrived",
                success_state: Some("successful"),
            },
        ];
        const ROSSTAT_REJECTS: &[RobotStep] = &[
            DATE_CONFIRMATION,
            RobotStep {
                after_secs: 120,
                document: "protocol-v2-negative",
                status: "response-arrived",
                success_state: Some("failed"),
            },
        ];
        match self {
            Self::FnsAccepts => FNS_ACCEPTS,
            Self::FnsRejects => FNS_REJECTS,
            Self::FnsClarifies => FNS_CLARIFIES,
            Self::RosstatAccepts => ROSSTAT_ACCEPTS,
            Self::RosstatRejects => ROSSTAT_REJECTS,
        }
    }
}

/// Type URN of the taxpayer's receipt for documents of a docflow type (short name).
pub fn receipt_type(docflow_type: &str) -> String {
    format!("urn:document:{docflow_type}-receipt")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_answer_only_their_codes_and_end_with_an_outcome() {
        assert_eq!(Robot::for_recipient("fns534-report", "0087"), Some(Robot::FnsAccepts));
        assert_eq!(Robot::for_recipient("fns534-report", "7700"), None);
        assert_eq!(Robot::for_recipient("stat-report", "0087"), None);
        for robot in
            [Robot::FnsAccepts, Robot::FnsRejects, Robot::FnsClarifies, Robot::RosstatAccepts, Robot::RosstatRejects]
        {
            let steps = robot.steps();
            assert!(steps.windows(2).all(|pair| pair[0].after_secs < pair[1].after_secs), "{robot:?} steps in order");
            assert!(steps.last().and_then(|step| step.success_state).is_some(), "{robot:?} ends with an outcome");
        }
    }
}
