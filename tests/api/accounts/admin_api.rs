//! The admin's user and token management, and a member's attempt at each admin endpoint: 403,
//! audited with its target.

use secrecy::ExposeSecret;
use serde_json::json;
use vaultty::api::{AuditAction, Outcome, Role};
use vaultty::client::ClientError;

use super::{MEMBER, audit};
use crate::common::TestVault;

#[tokio::test(flavor = "multi_thread")]
async fn admins_list_users_and_revoke_their_tokens() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (bob, bob_token) = v.user("bob", MEMBER).await;
    admin
        .create_user(&vaultty::api::CreateUser {
            name: "carol".into(),
            role: Role::Admin,
            expires_in: None,
        })
        .await
        .unwrap();
    let laptop = bob
        .create_token(&vaultty::api::CreateToken::user("laptop", None))
        .await
        .unwrap();
    bob.me().await.unwrap();

    let users = admin.list_users().await.unwrap();
    let summary: Vec<(&str, Role, bool, bool, u32)> = users
        .iter()
        .map(|u| (u.name.as_str(), u.role, u.disabled, u.enrolled, u.tokens))
        .collect();
    assert_eq!(
        summary,
        [
            ("alice", Role::Admin, false, true, 1),
            ("bob", Role::Member, false, true, 2),
            ("carol", Role::Admin, false, false, 0),
        ]
    );
    assert!(users[1].last_seen_at.is_some(), "bob was seen a moment ago");
    assert!(users[2].last_seen_at.is_none(), "carol never");

    let tokens = admin.user_tokens("bob").await.unwrap();
    assert_eq!(tokens.len(), 2);
    assert!(tokens.iter().all(|t| !t.current), "none is the admin's request token");
    let (_, raw) = v.api().get("/v1/users/bob/tokens").token(&v.admin_token).send().await;
    assert!(!raw.to_string().contains("vt_"), "metadata only");

    admin.revoke_user_token("bob", &laptop.id).await.unwrap();
    assert!(matches!(
        v.client(&laptop.token).me().await,
        Err(ClientError::Unauthorized(_))
    ));
    assert!(bob.me().await.is_ok());
    match admin.revoke_user_token("bob", &laptop.id).await {
        Err(ClientError::NotFound(m)) => assert!(!m.contains("tok_"), "{m}"),
        other => panic!("expected not found, got {other:?}"),
    }
    assert!(matches!(
        admin.user_tokens("nobody").await,
        Err(ClientError::NotFound(_))
    ));
    assert!(
        matches!(
            admin.revoke_user_token("alice", &tokens[0].id).await,
            Err(ClientError::NotFound(_))
        ),
        "not alice's"
    );

    let all = admin.revoke_user_tokens("bob").await.unwrap();
    assert_eq!(all.revoked, 1);
    assert!(matches!(
        v.client(&bob_token).me().await,
        Err(ClientError::Unauthorized(_))
    ));
    assert_eq!(admin.revoke_user_tokens("bob").await.unwrap().revoked, 0);
    let rows: Vec<(Option<String>, Option<String>)> = audit(&admin)
        .await
        .into_iter()
        .filter(|e| e.action == AuditAction::TokenRevoke && e.outcome == Outcome::Ok)
        .map(|e| (e.actor, e.target))
        .collect();
    assert_eq!(rows.len(), 2, "the laptop token, then bob's first");
    assert!(
        rows.iter()
            .all(|(actor, target)| actor.as_deref() == Some("alice") && target.is_some())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_calling_an_admin_endpoint_gets_403_and_is_audited() {
    let v = TestVault::start().await;
    let admin = v.admin();
    let (_, bob) = v.user("bob", MEMBER).await;
    let (_, _carol) = v.user("carol", MEMBER).await;
    let carol_token = admin.user_tokens("carol").await.unwrap()[0].id.clone();
    let api = v.api();
    let calls = [
        (api.get("/v1/users"), AuditAction::UserList, None),
        (
            api.post("/v1/users").json(&json!({"name": "mallory", "role": "admin"})),
            AuditAction::UserCreate,
            Some("mallory"),
        ),
        (
            api.patch("/v1/users/bob").json(&json!({"role": "admin"})),
            AuditAction::UserPromote,
            Some("bob"),
        ),
        (
            api.patch("/v1/users/carol").json(&json!({"disabled": true})),
            AuditAction::UserDisable,
            Some("carol"),
        ),
        (
            api.post("/v1/users/carol/enrolment").json(&json!({})),
            AuditAction::UserEnrolment,
            Some("carol"),
        ),
        (api.get("/v1/users/carol/tokens"), AuditAction::UserList, Some("carol")),
        (
            api.delete("/v1/users/carol/tokens"),
            AuditAction::TokenRevoke,
            Some("carol"),
        ),
        (
            api.delete(&format!("/v1/users/carol/tokens/{carol_token}")),
            AuditAction::TokenRevoke,
            Some(carol_token.as_str()),
        ),
    ];
    let expected: Vec<(AuditAction, Option<String>)> = calls
        .iter()
        .map(|(_, action, target)| (*action, target.map(str::to_owned)))
        .collect();
    for (call, action, _) in calls {
        let (status, body) = call.token(&bob).send().await;
        assert_eq!(status, 403, "{action:?}: {body}");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    let mut denied: Vec<(AuditAction, Option<String>)> = audit(&admin)
        .await
        .into_iter()
        .filter(|e| e.actor.as_deref() == Some("bob") && e.outcome == Outcome::Denied)
        .map(|e| (e.action, e.target))
        .collect();
    denied.reverse();
    assert_eq!(denied, expected);
    // Someone else's token through one's own endpoint: 404, and refused in the log.
    let (status, _) = api
        .delete(&format!("/v1/tokens/{carol_token}"))
        .token(&bob)
        .send()
        .await;
    assert_eq!(status, 404);
    let refused = audit(&admin).await.into_iter().next().unwrap();
    assert_eq!(
        (refused.action, refused.outcome, refused.target.as_deref()),
        (AuditAction::TokenRevoke, Outcome::Denied, Some(carol_token.as_str()))
    );
    // A token pasted where a name or an id belongs never reaches the audit log.
    let pasted = bob.expose_secret();
    let (status, _) = api.delete(&format!("/v1/tokens/{pasted}")).token(&bob).send().await;
    assert_eq!(status, 404);
    let (status, _) = api
        .delete(&format!("/v1/users/carol/tokens/{pasted}"))
        .token(&bob)
        .send()
        .await;
    assert_eq!(status, 403);
    let (status, _) = api
        .post("/v1/users")
        .json(&json!({"name": pasted}))
        .token(&bob)
        .send()
        .await;
    assert_eq!(status, 403);
    let (_, log) = api.get("/v1/audit?limit=1000").token(&v.admin_token).send().await;
    assert!(!log.to_string().contains(pasted), "a token reached the audit log");
    let last: Vec<Option<String>> = audit(&admin).await.into_iter().take(3).map(|e| e.target).collect();
    assert_eq!(last, [None, None, None]);

    // Nothing happened.
    assert!(admin.user_tokens("carol").await.unwrap().len() == 1);
    assert!(
        admin
            .list_users()
            .await
            .unwrap()
            .iter()
            .all(|u| u.name != "mallory" && u.role != Role::Admin || u.name == "alice")
    );
}
