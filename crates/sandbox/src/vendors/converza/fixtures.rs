//! The keys, teams, bots and documents every Converza sandbox starts with
//! (listed in the module docs).

use std::collections::HashMap;

use serde_json::json;

use super::state::{ApiKey, Bot, Document, Keyring, State, Team, User, hex};
use crate::accounts::{ACCOUNTS, Account, Seat};

/// Fixture ids (listed in the module's doc comment).
pub(super) const TEAM_ACME: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
pub(super) const TEAM_FREE: &str = "550e8400-e29b-41d4-a716-446655440000";
pub(super) const TEAM_BANNED: &str = "aa0e8400-e29b-41d4-a716-446655440005";
pub(super) const BOT_SUPPORT: &str = "770e8400-e29b-41d4-a716-446655440002";
pub(super) const BOT_SALES: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
pub(super) const BOT_DYNAMIC: &str = "880e8400-e29b-41d4-a716-446655440003";
pub(super) const DOC_CONTRACT: &str = "660e8400-e29b-41d4-a716-446655440001";
pub(super) const DOC_FAQ: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
pub(super) const DOC_POLICY: &str = "990e8400-e29b-41d4-a716-446655440004";

/// The time every fixture was created at (the docs' example timestamp).
pub(super) const FIXTURE_TIME: &str = "2023-11-07T05:31:56Z";

/// The second account's team, owning all its bots.
pub(super) const TEAM_B: &str = "bb0e8400-e29b-41d4-a716-4466554400b0";

fn key(
    key_id: &str,
    secret: &str,
    name: &str,
    is_active: bool,
    expires_at: Option<&str>,
) -> ApiKey {
    ApiKey {
        account: 0,
        key_id: key_id.into(),
        secret: secret.into(),
        name: name.into(),
        scope: "global".into(),
        is_active,
        expires_at: expires_at.map(str::to_owned),
        last_used: None,
        created_at: FIXTURE_TIME.into(),
    }
}

fn team(id: &str, name: &str, plan: &str, paying: bool, banned: bool) -> Team {
    Team {
        id: id.into(),
        name: name.into(),
        plan_name: plan.into(),
        paying,
        banned,
        created_at: FIXTURE_TIME.into(),
        updated_at: FIXTURE_TIME.into(),
    }
}

fn document(id: &str, team_id: &str, name: &str, kind: &str, size: u64, chars: i64) -> Document {
    let openai_id = format!("file-{}", &hex(6));
    Document {
        id: id.into(),
        team_id: team_id.into(),
        name: name.into(),
        kind: kind.into(),
        size,
        file_url: format!("{team_id}/{openai_id}.{kind}"),
        openai_id,
        chars,
        created_at: FIXTURE_TIME.into(),
        updated_at: FIXTURE_TIME.into(),
    }
}

/// The id of the `n`th bot `--bots` seeds (from 1).
pub(super) fn seeded_id(n: usize) -> String {
    crate::support::seeded_uuid(0xc0, n)
}

/// The id of the second account's `n`th bot (0: its demo bot).
pub(super) fn seeded_id_b(n: usize) -> String {
    crate::support::seeded_uuid(0x0bc0, n)
}

/// A bot `--bots` seeds: published, plain settings, in `team`.
fn seeded_bot((id, name): (String, String), team: &str) -> Bot {
    let n = bot_number(&id).to_string();
    Bot {
        id,
        team_id: team.into(),
        name,
        role: "support".into(),
        description: "Seeded for scale tests (--bots)".into(),
        openai_id: format!("asst_seed{n}"),
        vector_id: format!("vs_seed{n}"),
        instructions: "Você é um assistente de suporte.".into(),
        temperature: 0.7,
        published: true,
        allow_human: false,
        created_at: FIXTURE_TIME.into(),
        updated_at: FIXTURE_TIME.into(),
        identification_name: None,
        questions: Vec::new(),
        actions: Vec::new(),
        document_ids: Vec::new(),
        use_audio_responses: false,
        allow_user_audio_requests: false,
        capture_payments: false,
        break_lines: true,
        chat_model_level: 0,
    }
}

/// The digits that tell seeded bots apart (the id's last group,
/// `000000000001` for the first).
fn bot_number(id: &str) -> &str {
    id.rsplit('-')
        .next()
        .map_or(id, |group| &group[group.len().saturating_sub(6)..])
}

impl Keyring {
    /// The key pairs listed in the module's doc comment: each account's
    /// sandbox pair, and the default account's others; no token issued yet.
    pub(super) fn seeded(accounts: &[Account; ACCOUNTS.len()]) -> Keyring {
        let pair = |index: usize, account: &Account, name: &str| ApiKey {
            account: index,
            ..key(
                account.credentials.key,
                account.credentials.secret.unwrap_or_default(),
                name,
                true,
                None,
            )
        };
        let mut keys: Vec<ApiKey> = accounts
            .iter()
            .enumerate()
            .map(|(index, account)| match index {
                0 => pair(index, account, "Chave do Sandbox"),
                _ => pair(
                    index,
                    account,
                    &format!("Chave da conta {}", ACCOUNTS[index]),
                ),
            })
            .collect();
        // The default account's other pairs, after its sandbox pair.
        let others = [
            key(
                "cvz_key_abc123",
                "cvz_secret_xyz789",
                "Chave de Integração de Produção",
                true,
                Some("2099-12-31T23:59:59Z"),
            ),
            key(
                "cvz_key_revoked",
                "cvz_secret_revoked",
                "Chave revogada",
                false,
                None,
            ),
            key(
                "cvz_key_expired",
                "cvz_secret_expired",
                "Chave expirada",
                true,
                Some(FIXTURE_TIME),
            ),
        ];
        keys.splice(1..1, others);
        Keyring {
            keys,
            tokens: HashMap::new(),
        }
    }
}

impl State {
    /// The fixtures listed in the module's doc comment, and `bots` more
    /// bots of ACME after them; another account than the default one holds
    /// only its team and its own seeded bots.
    pub(super) fn seeded(bots: usize, seat: Seat) -> State {
        if !seat.is_default() {
            return State {
                bots: seat
                    .seeded_bots(bots)
                    .into_iter()
                    .map(|bot| seeded_bot(bot, TEAM_B))
                    .collect(),
                documents: Vec::new(),
                teams: vec![team(TEAM_B, "Cliente B", "Pro", true, false)],
                users: Vec::new(),
            };
        }
        let mut contract = document(
            DOC_CONTRACT,
            TEAM_ACME,
            "contrato.pdf",
            "pdf",
            1_024_000,
            5000,
        );
        // The docs' example document.
        contract.openai_id = "file-abc123".into();
        contract.file_url = format!("{TEAM_ACME}/file-abc123.pdf");
        let support = Bot {
            id: BOT_SUPPORT.into(),
            team_id: TEAM_ACME.into(),
            name: "Bot de Suporte".into(),
            role: "support".into(),
            description: "Lida com consultas de suporte ao cliente".into(),
            openai_id: "asst_abc123".into(),
            vector_id: "vs_abc123".into(),
            instructions: "Você é um assistente de suporte amigável. Sempre seja útil e educado."
                .into(),
            temperature: 0.7,
            published: true,
            allow_human: true,
            created_at: FIXTURE_TIME.into(),
            updated_at: FIXTURE_TIME.into(),
            identification_name: Some("João".into()),
            questions: vec![json!({
                "question": "Qual o horário de atendimento?",
                "answer": "De segunda a sexta, das 9h às 18h."
            })],
            actions: vec![json!({
                "id": "b10e8400-e29b-41d4-a716-446655440006",
                "name": "Consultar pedido",
                "description": "Busca o status de um pedido",
                "endpoint": "https://api.acme.example/orders",
                "method": "GET",
                "headers": {"key": "X-Api-Key", "value": "acme-123"},
                "body": [{"key": "order_id", "value": "{{order_id}}", "type": "string"}]
            })],
            document_ids: vec![DOC_CONTRACT.into()],
            use_audio_responses: false,
            allow_user_audio_requests: false,
            capture_payments: false,
            break_lines: true,
            chat_model_level: 0,
        };
        let sales = Bot {
            id: BOT_SALES.into(),
            name: "Bot de Vendas".into(),
            role: "sales".into(),
            description: "Qualifica leads e apresenta planos".into(),
            openai_id: "asst_def456".into(),
            vector_id: "vs_def456".into(),
            instructions: "Apresente os planos e colete o e-mail do cliente.".into(),
            temperature: 1.2,
            published: false,
            allow_human: false,
            identification_name: None,
            questions: Vec::new(),
            actions: Vec::new(),
            document_ids: Vec::new(),
            chat_model_level: 1,
            ..clone_bot(&support)
        };
        let dynamic = Bot {
            id: BOT_DYNAMIC.into(),
            team_id: TEAM_FREE.into(),
            name: "Assistente Dinâmico".into(),
            role: "dynamic".into(),
            description: "Responde com base na política interna".into(),
            openai_id: "asst_ghi789".into(),
            vector_id: "vs_ghi789".into(),
            instructions: "Responda apenas com base nos documentos.".into(),
            temperature: 0.0,
            identification_name: None,
            questions: Vec::new(),
            actions: Vec::new(),
            document_ids: vec![DOC_POLICY.into()],
            chat_model_level: 2,
            ..clone_bot(&support)
        };
        State {
            bots: [support, sales, dynamic]
                .into_iter()
                .chain(
                    seat.seeded_bots(bots)
                        .into_iter()
                        .map(|bot| seeded_bot(bot, TEAM_ACME)),
                )
                .collect(),
            documents: vec![
                contract,
                document(DOC_FAQ, TEAM_ACME, "faq.txt", "txt", 4_096, 1_200),
                document(
                    DOC_POLICY,
                    TEAM_FREE,
                    "politica.docx",
                    "docx",
                    52_300,
                    18_000,
                ),
            ],
            teams: vec![
                team(TEAM_ACME, "Corporação ACME", "Pro", true, false),
                team(TEAM_FREE, "Padaria do Bairro", "Free", false, false),
                team(TEAM_BANNED, "Spam Ltda", "Free", false, true),
            ],
            users: vec![User {
                id: "c20e8400-e29b-41d4-a716-446655440007".into(),
                name: "Ana Souza".into(),
                email: "ana@example.com".into(),
                phone: "+5511999999999".into(),
                created_at: FIXTURE_TIME.into(),
            }],
        }
    }
}

fn clone_bot(bot: &Bot) -> Bot {
    Bot {
        id: bot.id.clone(),
        team_id: bot.team_id.clone(),
        name: bot.name.clone(),
        role: bot.role.clone(),
        description: bot.description.clone(),
        openai_id: bot.openai_id.clone(),
        vector_id: bot.vector_id.clone(),
        instructions: bot.instructions.clone(),
        temperature: bot.temperature,
        published: bot.published,
        allow_human: bot.allow_human,
        created_at: bot.created_at.clone(),
        updated_at: bot.updated_at.clone(),
        identification_name: bot.identification_name.clone(),
        questions: bot.questions.clone(),
        actions: bot.actions.clone(),
        document_ids: bot.document_ids.clone(),
        use_audio_responses: bot.use_audio_responses,
        allow_user_audio_requests: bot.allow_user_audio_requests,
        capture_payments: bot.capture_payments,
        break_lines: bot.break_lines,
        chat_model_level: bot.chat_model_level,
    }
}
