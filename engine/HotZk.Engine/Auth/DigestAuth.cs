using System.Security.Cryptography;
using System.Text;

namespace HotZk.Engine.Auth;

/// <summary>The digest scheme: id = <c>user:base64(SHA1("user:password"))</c>.</summary>
public static class DigestAuth
{
    /// <summary>Derives the digest id from <c>user:password</c>.</summary>
    public static string Generate(string userAndPassword)
    {
        int colon = userAndPassword.IndexOf(':');
        string user = colon < 0 ? userAndPassword : userAndPassword[..colon];
        byte[] hash = SHA1.HashData(Encoding.UTF8.GetBytes(userAndPassword));
        return user + ":" + Convert.ToBase64String(hash);
    }

    /// <summary>A digest ACL id is valid when it has exactly one ':'.</summary>
    public static bool IsValidId(string id) => id.Split(':').Length == 2;
}
