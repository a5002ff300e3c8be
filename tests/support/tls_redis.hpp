// tests/support/tls_redis.hpp — certificates made at test time with the openssl command-line
// tool, and private redis-servers that speak TLS with them.
//
//   const auto& certs = redwire::test::test_certificates();   // once per test program
//   redwire::test::tls_redis server;                           // a plaintext and a TLS port
//   redwire::redis::transport bus{server.tls_url()};           // rediss://127.0.0.1:P?ca=...
//   redwire::test::tls_redis mutual{{.client_certificates = true}};
//   redwire::redis::transport me{mutual.tls_url() + "&" + server.client_options()};
//
// The CA, the server's certificate (localhost and 127.0.0.1), a client certificate and a
// server certificate for another name ("other.example") are made in a temporary folder, which
// goes when the program ends. Throws std::runtime_error when openssl or redis-server fails:
// a test that needs them fails loudly, it is never skipped. No redwire header is used.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/redis_server.hpp"

namespace redwire::test {

struct certificates {
  std::string dir;
  std::string ca;                       ///< the CA's certificate (the bundle to trust)
  std::string server_cert, server_key;  ///< for localhost and 127.0.0.1
  std::string client_cert, client_key;  ///< a client certificate signed by the CA
  std::string other_cert, other_key;    ///< for "other.example" only (a name mismatch)
  std::string garbage;                  ///< a file that is no PEM at all

  ~certificates() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

namespace detail {
inline std::unique_ptr<certificates> make_certificates() {
  auto c = std::make_unique<certificates>();
  char tmpl[] = "/tmp/redwire-certs-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("test_certificates: mkdtemp failed");
  c->dir = tmpl;
  const std::string script = "set -e; cd '" + c->dir + R"(';
ec='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1'
openssl req -x509 -new -nodes $ec -keyout ca.key -out ca.crt -days 2 -subj '/CN=redwire test CA'
make() {
  openssl req -new -nodes $ec -keyout $1.key -out $1.csr -subj "/CN=$2"
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" > $1.ext
  openssl x509 -req -in $1.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $1.crt -days 2 \
    -extfile $1.ext
}
make server localhost DNS:localhost,IP:127.0.0.1
make client redwire-client DNS:redwire-client
make other other.example DNS:other.example
echo 'not a certificate' > garbage.pem
)";
  const std::string log = c->dir + "/openssl.log", file = c->dir + "/make.sh";
  FILE* out = std::fopen(file.c_str(), "w");
  if (!out || std::fputs(script.c_str(), out) < 0 || std::fclose(out) != 0)
    throw std::runtime_error("test_certificates: cannot write " + file);
  if (std::system(("sh '" + file + "' > '" + log + "' 2>&1").c_str()) != 0) {
    std::string text;
    if (FILE* f = std::fopen(log.c_str(), "r")) {
      char buf[2048];
      text.assign(buf, std::fread(buf, 1, sizeof buf, f));
      std::fclose(f);
    }
    throw std::runtime_error("test_certificates: openssl failed (install openssl): " + text);
  }
  c->ca = c->dir + "/ca.crt";
  c->server_cert = c->dir + "/server.crt";
  c->server_key = c->dir + "/server.key";
  c->client_cert = c->dir + "/client.crt";
  c->client_key = c->dir + "/client.key";
  c->other_cert = c->dir + "/other.crt";
  c->other_key = c->dir + "/other.key";
  c->garbage = c->dir + "/garbage.pem";
  return c;
}
}  // namespace detail

/// Made on first use, once per test program.
inline const certificates& test_certificates() {
  static const std::unique_ptr<certificates> made = detail::make_certificates();
  return *made;
}

struct tls_redis_options {
  bool client_certificates = false;  ///< require a client certificate signed by the CA
  bool other_name = false;           ///< present the "other.example" certificate
  std::vector<std::string> extra_args{};
};

/// A redis-server with a plaintext port (port(), url()) and a TLS port (tls_port(), tls_url()).
class tls_redis {
 public:
  using options = tls_redis_options;

  explicit tls_redis(options o = {}) : tls_port_(redis_server::unused_port()) {
    const certificates& c = test_certificates();
    std::vector<std::string> args = {
        "--tls-port",         std::to_string(tls_port_),
        "--tls-cert-file",    o.other_name ? c.other_cert : c.server_cert,
        "--tls-key-file",     o.other_name ? c.other_key : c.server_key,
        "--tls-ca-cert-file", c.ca,
        "--tls-auth-clients", o.client_certificates ? "yes" : "no"};
    args.insert(args.end(), o.extra_args.begin(), o.extra_args.end());
    server_ = std::make_unique<redis_server>(std::move(args));
  }

  redis_server& server() { return *server_; }
  int port() const { return server_->port(); }
  int tls_port() const { return tls_port_; }
  /// Plaintext.
  std::string url() const { return server_->url(); }
  /// TLS, trusting the test CA: "rediss://127.0.0.1:P?ca=...".
  std::string tls_url(const std::string& host = "127.0.0.1") const {
    return "rediss://" + host + ":" + std::to_string(tls_port_) + "?ca=" + test_certificates().ca;
  }
  /// The options that present the client certificate: "cert=...&key=...".
  static std::string client_options() {
    const certificates& c = test_certificates();
    return "cert=" + c.client_cert + "&key=" + c.client_key;
  }

 private:
  int tls_port_;
  std::unique_ptr<redis_server> server_;
};

/// One TLS redis-server for a whole test program, started on first use.
inline tls_redis& shared_tls_redis() {
  static tls_redis server;
  return server;
}

}  // namespace redwire::test
