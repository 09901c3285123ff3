//! The computation against RFC 9106's test vectors and against the `argon2` crate, with each
//! implementation of the compression (the architecture's vector one and the portable one).

use argon2::{Algorithm, Argon2, AssociatedData, ParamsBuilder, Version};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};

use super::compress::{Lanes, Native, Portable};
use super::*;

/// RFC 9106 §5: m = 32 KiB, t = 3, p = 4, a 32-byte tag, over 32 bytes of 0x01 with 16 bytes of
/// 0x02 as salt, 8 bytes of 0x03 as secret and 12 bytes of 0x04 as associated data.
fn rfc_vector<V: Lanes>(algorithm: Algorithm) -> [u8; 32] {
    let params = ParamsBuilder::new()
        .m_cost(32)
        .t_cost(3)
        .p_cost(4)
        .data(AssociatedData::new(&[4; 12]).unwrap())
        .build()
        .unwrap();
    let inputs = Inputs {
        password: &[1; 32],
        salt: &[2; 16],
        secret: &[3; 8],
    };
    let mut blocks = vec![Block::ZERO; block_count(&params)];
    let mut tag = [0u8; 32];
    hash_with::<V>(
        &mut blocks,
        algorithm,
        Version::V0x13,
        &params,
        &inputs,
        &mut tag,
    )
    .unwrap();
    tag
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_rfc_9106_test_vectors_come_out_with_every_compression() {
    let expected = [
        (
            Algorithm::Argon2id,
            "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659",
        ),
        (
            Algorithm::Argon2i,
            "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8",
        ),
        (
            Algorithm::Argon2d,
            "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb",
        ),
    ];
    for (algorithm, tag) in expected {
        assert_eq!(hex(&rfc_vector::<Native>(algorithm)), tag, "{algorithm}");
        assert_eq!(hex(&rfc_vector::<Portable>(algorithm)), tag, "{algorithm}");
    }
}

/// One random case: its parameters and inputs, compared with the `argon2` crate's output.
fn agrees_with_the_argon2_crate<V: Lanes>(rng: &mut StdRng, blocks: &mut Vec<Block>) {
    let lanes = rng.random_range(1..=4u32);
    let memory = rng.random_range(8 * lanes..=8 * lanes + 200);
    let passes = rng.random_range(1..=4u32);
    let algorithm =
        [Algorithm::Argon2id, Algorithm::Argon2i, Algorithm::Argon2d][rng.random_range(0..3usize)];
    let version = [Version::V0x13, Version::V0x10][rng.random_range(0..2usize)];
    let mut bytes = |range: std::ops::RangeInclusive<usize>| {
        let mut v = vec![0u8; rng.random_range(range)];
        rng.fill_bytes(&mut v);
        v
    };
    let (password, salt, secret, data) =
        (bytes(0..=64), bytes(8..=64), bytes(0..=32), bytes(0..=32));
    let out_len = rng.random_range(4..=64usize);
    let params = ParamsBuilder::new()
        .m_cost(memory)
        .t_cost(passes)
        .p_cost(lanes)
        .data(AssociatedData::new(&data).unwrap())
        .build()
        .unwrap();
    let case = format!("{algorithm} v{version:?} m={memory} t={passes} p={lanes} T={out_len}");

    let mut expected = vec![0u8; out_len];
    Argon2::new_with_secret(&secret, algorithm, version, params.clone())
        .unwrap()
        .hash_password_into(&password, &salt, &mut expected)
        .unwrap();
    blocks.resize(block_count(&params).max(blocks.len()), Block::ZERO);
    let inputs = Inputs {
        password: &password,
        salt: &salt,
        secret: &secret,
    };
    let mut ours = vec![0u8; out_len];
    hash_with::<V>(blocks, algorithm, version, &params, &inputs, &mut ours).unwrap();
    assert_eq!(hex(&ours), hex(&expected), "{case}");
}

#[test]
fn random_inputs_hash_as_the_argon2_crate_does_with_the_native_compression() {
    let mut rng = StdRng::seed_from_u64(0x13);
    // Reused like a pool worker's memory: leftovers of a larger computation must not matter.
    let mut blocks = Vec::new();
    for _ in 0..60 {
        agrees_with_the_argon2_crate::<Native>(&mut rng, &mut blocks);
    }
}

#[test]
fn random_inputs_hash_as_the_argon2_crate_does_with_the_portable_compression() {
    let mut rng = StdRng::seed_from_u64(0x10);
    let mut blocks = Vec::new();
    for _ in 0..60 {
        agrees_with_the_argon2_crate::<Portable>(&mut rng, &mut blocks);
    }
}

#[test]
fn parameters_out_of_range_are_refused_without_computing() {
    let params = Params::new(64, 1, 1, None).unwrap();
    let mut blocks = vec![Block::ZERO; 64];
    let run = |blocks: &mut [Block], salt: &[u8], out: &mut [u8]| {
        let inputs = Inputs {
            password: b"pw",
            salt,
            secret: &[],
        };
        hash_into(
            blocks,
            Algorithm::Argon2id,
            Version::V0x13,
            &params,
            &inputs,
            out,
        )
    };
    assert_eq!(
        run(&mut blocks, b"short", &mut [0; 32]),
        Err(Argon2Error::Parameters)
    );
    assert_eq!(
        run(&mut blocks, b"saltsalt", &mut [0; 3]),
        Err(Argon2Error::Parameters)
    );
    assert_eq!(
        run(&mut blocks[..63], b"saltsalt", &mut [0; 32]),
        Err(Argon2Error::Memory)
    );
    assert_eq!(run(&mut blocks, b"saltsalt", &mut [0; 32]), Ok(()));
}
