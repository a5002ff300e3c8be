// redwire/detail/auth.hpp — per-service shared secrets: HMAC-SHA256 over whole frames.
//
// A frame is authenticated by its token field: one scheme byte (1 = HMAC-SHA256) then the
// 32-byte MAC of the frame as it reads with an empty token (header fields, then payload).
// Requests are MACed by the client, replies by the service; the secret itself never travels.
// See envelope.hpp for the layout and docs/reliability.md for what this does and does not
// protect against. Machinery: users set service_options::secret and client_options::secret(s).
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/opensslv.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#include <openssl/params.h>
#endif

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "../envelope.hpp"

namespace redwire::detail {

inline constexpr char auth_scheme_hmac_sha256 = 1;
inline constexpr std::size_t mac_size = 32;
/// The token of an authenticated frame: scheme byte + MAC (its length, 33, is one varint byte).
inline constexpr std::size_t auth_token_size = 1 + mac_size;

using mac_bytes = std::array<unsigned char, mac_size>;

/// A secret, ready to MAC with. Const member functions may be called from any thread.
///   hmac_key key{"s3cret"}; mac_bytes m = key.mac({"part one", "part two"});
class hmac_key {
 public:
  explicit hmac_key(std::string_view secret) {
    if (secret.empty())
      throw std::invalid_argument("redwire: an empty secret authenticates nothing");
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    static EVP_MAC* const algorithm = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!algorithm) throw std::runtime_error("redwire: OpenSSL offers no HMAC");
    keyed_.reset(EVP_MAC_CTX_new(algorithm));
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    if (!keyed_ || EVP_MAC_init(keyed_.get(), reinterpret_cast<const unsigned char*>(secret.data()),
                                secret.size(), params) != 1)
      throw std::runtime_error("redwire: cannot set up HMAC-SHA256");
#else
    secret_.assign(secret);
#endif
  }

  /// HMAC-SHA256 of the concatenation of `parts`.
  mac_bytes mac(std::initializer_list<std::string_view> parts) const {
    mac_bytes out{};
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    // A copy of the keyed context skips re-deriving the padded key for every message.
    std::unique_ptr<EVP_MAC_CTX, context_free> c(EVP_MAC_CTX_dup(keyed_.get()));
    bool ok = c != nullptr;
    for (std::string_view p : parts)
      ok = ok &&
           EVP_MAC_update(c.get(), reinterpret_cast<const unsigned char*>(p.data()), p.size()) == 1;
    std::size_t length = 0;
    ok = ok && EVP_MAC_final(c.get(), out.data(), &length, out.size()) == 1 && length == mac_size;
#else
    std::unique_ptr<HMAC_CTX, decltype(&HMAC_CTX_free)> c(HMAC_CTX_new(), &HMAC_CTX_free);
    bool ok = c && HMAC_Init_ex(c.get(), secret_.data(), static_cast<int>(secret_.size()),
                                EVP_sha256(), nullptr) == 1;
    for (std::string_view p : parts)
      ok = ok &&
           HMAC_Update(c.get(), reinterpret_cast<const unsigned char*>(p.data()), p.size()) == 1;
    unsigned length = 0;
    ok = ok && HMAC_Final(c.get(), out.data(), &length) == 1 && length == mac_size;
#endif
    if (!ok) throw std::runtime_error("redwire: HMAC-SHA256 failed");
    return out;
  }

 private:
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
  struct context_free {
    void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
  };
  std::unique_ptr<EVP_MAC_CTX, context_free> keyed_;
#else
  std::string secret_;
#endif
};

/// Authenticates an encoded frame whose token is still empty: `header_size` is the size of
/// what encode_envelope_header wrote (the payload follows it). Replaces the empty token with
/// scheme byte + MAC of the frame as it was.
inline void sign_frame(std::string& frame, std::size_t header_size, const hmac_key& key) {
  if (header_size == 0 || header_size > frame.size() || frame[header_size - 1] != 0)
    throw std::logic_error("redwire: sign_frame needs a frame whose token is empty");
  const mac_bytes m = key.mac({frame});
  char token[1 + auth_token_size];
  token[0] = static_cast<char>(auth_token_size);  // the varint length
  token[1] = auth_scheme_hmac_sha256;
  std::memcpy(token + 2, m.data(), mac_size);
  frame.replace(header_size - 1, 1, token, sizeof token);
}

/// Why a frame is not authentic, or nullptr when it is. `e` is decode_envelope(bytes).
inline const char* check_frame(std::string_view bytes, const envelope& e, const hmac_key& key) {
  if (e.token.empty()) return "the message carries no token";
  if (e.token.size() != auth_token_size || e.token[0] != auth_scheme_hmac_sha256)
    return "the message's token is not an HMAC-SHA256 of this version";
  // decode_envelope hands out views into `bytes`: the token's length byte sits just before it,
  // and the payload just after it.
  const auto token_at = static_cast<std::size_t>(e.token.data() - bytes.data());
  if (token_at == 0 || token_at + auth_token_size > bytes.size() ||
      e.payload.data() != e.token.data() + auth_token_size)
    return "the message's token is misplaced";
  const mac_bytes expected = key.mac({bytes.substr(0, token_at - 1), std::string_view("\0", 1),
                                      bytes.substr(token_at + auth_token_size)});
  if (CRYPTO_memcmp(expected.data(), e.token.data() + 1, mac_size) != 0)
    return "the message's MAC does not match (another secret, or altered on the way)";
  return nullptr;
}

/// Why a request may not run, or nullptr. Besides the MAC, an authenticated request must carry
/// a deadline (inside the MAC), so a captured request cannot be run again once it passed: the
/// service drops expired requests before anything else.
inline const char* check_request(std::string_view bytes, const envelope& e, const hmac_key& key) {
  if (const char* why = check_frame(bytes, e, key)) return why;
  if (e.deadline_ms == 0) return "an authenticated request must carry a deadline";
  return nullptr;
}

/// The secrets of a client: one per service name, and one for every other service.
class client_keys {
 public:
  client_keys() = default;
  client_keys(const std::string& every_service,
              const std::map<std::string, std::string, std::less<>>& per_service) {
    if (!every_service.empty()) default_ = std::make_unique<hmac_key>(every_service);
    for (const auto& [service, secret] : per_service)
      if (!secret.empty()) by_service_.try_emplace(service, secret);
  }
  /// The key for `service`, or nullptr when its calls go unauthenticated.
  const hmac_key* for_service(std::string_view service) const {
    if (!by_service_.empty())
      if (auto it = by_service_.find(service); it != by_service_.end()) return &it->second;
    return default_.get();
  }
  bool empty() const noexcept { return !default_ && by_service_.empty(); }

 private:
  std::unique_ptr<hmac_key> default_;
  std::map<std::string, hmac_key, std::less<>> by_service_;
};

}  // namespace redwire::detail
