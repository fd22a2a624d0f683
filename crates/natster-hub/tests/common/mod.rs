//! Shared by the hub's integration tests: a hub on free ports and people
//! who register the way `natster init` does.

#![allow(clippy::unwrap_used)]
#![allow(dead_code, unreachable_pub)]

use natster_auth::KeyPair;
use natster_auth::claims::{Claims, UserNats};
use natster_auth::jwt::encode;
use natster_client::HubHttp;
use natster_hub::http::Registration;
use natster_hub::{HubConfig, RunningHub};

pub async fn hub(dir: &std::path::Path, registration: Option<Registration>) -> RunningHub {
    RunningHub::start(config(dir, registration))
        .await
        .expect("hub starts")
}

pub fn config(dir: &std::path::Path, registration: Option<Registration>) -> HubConfig {
    let mut config = HubConfig::ephemeral(dir.to_owned());
    config.registration = registration;
    config.jetstream.disk = 64 << 20;
    config.nats_server = Some(natster_testkit::nats_server_binary().path);
    config
}

/// A person with keys on "their machine".
pub struct Person {
    pub name: String,
    pub account: KeyPair,
    pub signing: KeyPair,
    pub user: KeyPair,
    pub user_jwt: String,
    pub account_jwt: String,
}

impl Person {
    pub async fn register(
        hub: &RunningHub,
        name: &str,
        invite: Option<&str>,
    ) -> Result<Self, natster_client::Error> {
        let http = HubHttp::new(&hub.info().hub_url)?;
        let account = KeyPair::new_account();
        let signing = KeyPair::new_account();
        let reg = http
            .register_account(&account, &signing.public_key(), name, invite)
            .await?;
        let user = KeyPair::new_user();
        let claims = Claims::new(
            user.public_key(),
            UserNats::for_account(account.public_key()),
        );
        let user_jwt = encode(&claims, &signing).expect("user jwt");
        Ok(Self {
            name: name.into(),
            account,
            signing,
            user,
            user_jwt,
            account_jwt: reg.account_jwt,
        })
    }

    pub fn key(&self) -> String {
        self.account.public_key()
    }

    /// An activation token for `importer`, signed by `signer` on this account's behalf.
    pub fn activation(
        &self,
        signer: &KeyPair,
        importer: &str,
        subject: String,
        kind: natster_auth::claims::ExportType,
        exp: Option<i64>,
    ) -> String {
        let mut c = Claims::new(
            importer.to_owned(),
            natster_auth::claims::ActivationNats::new(subject, kind, self.key()),
        );
        c.exp = exp;
        encode(&c, signer).unwrap()
    }

    /// The import request that a share of `catalog` with `importer` allows.
    pub fn grant(
        &self,
        importer: &str,
        catalog: &str,
        exp: Option<i64>,
    ) -> natster_proto::hub::ImportAddRequest {
        use natster_auth::claims::ExportType;
        use natster_proto::subjects;
        natster_proto::hub::ImportAddRequest {
            owner: self.key(),
            catalog: catalog.into(),
            service_token: self.activation(
                &self.signing,
                importer,
                subjects::catalog_import(importer, &self.key(), catalog),
                ExportType::Service,
                exp,
            ),
            stream_token: self.activation(
                &self.signing,
                importer,
                subjects::media_import(importer, &self.key(), catalog),
                ExportType::Stream,
                exp,
            ),
        }
    }

    pub async fn connect(&self, hub: &RunningHub) -> async_nats::Client {
        natster_client::connect::options(self.user_jwt.clone(), self.user.clone(), &self.name)
            .connect(hub.info().nats_urls[0].as_str())
            .await
            .expect("connects")
    }
}
