using HotZk.Common;
using HotZk.Engine.Auth;
using Xunit;

namespace HotZk.Engine.Tests;

/// <summary>Digest and ip schemes and the permission check (zk-protocol.md §8).</summary>
public sealed class AuthTests
{
    [Fact]
    public void DigestOfBobSecretMatchesTheValueApacheZooKeeperDerives() =>
        Assert.Equal("bob:fyVmFCwVbTJYrznoSu1koqYEYF0=", DigestAuth.Generate("bob:secret"));

    [Fact]
    public void DigestHashesTheWholeCredentialButKeepsOnlyTheUserBeforeTheFirstColon()
    {
        string id = DigestAuth.Generate("bob:se:cret");
        Assert.StartsWith("bob:", id);
        Assert.NotEqual(DigestAuth.Generate("bob:se"), id);
        Assert.Equal(2, id.Split(':').Length);
    }

    [Theory]
    [InlineData("bob:fyVmFCwVbTJYrznoSu1koqYEYF0=", true)]
    [InlineData("bob:", true)]
    [InlineData("bob", false)]
    [InlineData("bob:a:b", false)]
    [InlineData("", false)]
    public void DigestIdNeedsExactlyOneColon(string id, bool valid) => Assert.Equal(valid, DigestAuth.IsValidId(id));

    [Theory]
    [InlineData("10.0.0.0/8", "10.200.3.4", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("127.0.0.1/32", "127.0.0.1", true)]
    [InlineData("127.0.0.1/32", "127.0.0.2", false)]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    [InlineData("127.0.0.1", "127.0.0.2", false)]
    [InlineData("192.168.1.0/25", "192.168.1.127", true)]
    [InlineData("192.168.1.0/25", "192.168.1.128", false)]
    [InlineData("0.0.0.0/0", "8.8.8.8", true)]
    [InlineData("::1", "::1", true)]
    [InlineData("::1", "::2", false)]
    [InlineData("::1/128", "::1", true)]
    [InlineData("fe80::/10", "fe80::1234", true)]
    [InlineData("fe80::/10", "fec0::1", false)]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "::1", false)]
    [InlineData("::1", "127.0.0.1", false)]
    [InlineData("10.0.0.0/8", "not-an-ip", false)]
    public void IpAclMatchesAddressesAndCidrRanges(string aclId, string client, bool matches) =>
        Assert.Equal(matches, IpAuth.Matches(aclId, client));

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/x")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("::1/129")]
    public void BadIpIdsAreInvalidAndMatchNothing(string aclId)
    {
        Assert.False(IpAuth.IsValidId(aclId));
        Assert.False(IpAuth.Matches(aclId, "10.0.0.1"));
    }

    [Theory]
    [InlineData("10.0.0.0/8")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("2001:db8::/32")]
    [InlineData("0.0.0.0/0")]
    public void GoodIpIdsAreValid(string aclId) => Assert.True(IpAuth.IsValidId(aclId));

    private static AuthInfo Bob()
    {
        var a = new AuthInfo("10.1.2.3");
        a.Add(new Id("digest", DigestAuth.Generate("bob:secret")));
        return a;
    }

    [Fact]
    public void AuthInfoStartsWithTheIpIdAndDeduplicates()
    {
        var a = new AuthInfo("10.1.2.3");
        Assert.Equal([new Id("ip", "10.1.2.3")], a.Ids);
        a.Add(new Id("digest", "x:y"));
        a.Add(new Id("digest", "x:y"));
        Assert.Equal(2, a.Ids.Count);
        Assert.False(a.IsSuper);
    }

    [Fact]
    public void EmptyAclAllowsEverything() => Assert.True(AclChecker.Check([], Perms.Admin, new AuthInfo("1.2.3.4"), false));

    [Fact]
    public void WorldAnyoneAllowsOnlyItsPermissions()
    {
        Assert.True(AclChecker.Check(Acl.ReadAclUnsafe, Perms.Read, new AuthInfo("1.2.3.4"), false));
        Assert.False(AclChecker.Check(Acl.ReadAclUnsafe, Perms.Write, new AuthInfo("1.2.3.4"), false));
    }

    [Fact]
    public void DigestAclAllowsOnlyTheMatchingUser()
    {
        var acl = T.Digest("bob:secret", Perms.Read | Perms.Write);
        Assert.True(AclChecker.Check(acl, Perms.Write, Bob(), false));
        Assert.False(AclChecker.Check(acl, Perms.Delete, Bob(), false));
        var alice = new AuthInfo("10.1.2.3");
        alice.Add(new Id("digest", DigestAuth.Generate("alice:secret")));
        Assert.False(AclChecker.Check(acl, Perms.Read, alice, false));
        var wrongPassword = new AuthInfo("10.1.2.3");
        wrongPassword.Add(new Id("digest", DigestAuth.Generate("bob:guess")));
        Assert.False(AclChecker.Check(acl, Perms.Read, wrongPassword, false));
    }

    [Fact]
    public void IpAclAllowsConnectionsInsideTheRange()
    {
        var acl = T.Ip("10.0.0.0/8", Perms.Read);
        Assert.True(AclChecker.Check(acl, Perms.Read, new AuthInfo("10.9.8.7"), false));
        Assert.False(AclChecker.Check(acl, Perms.Read, new AuthInfo("192.168.0.1"), false));
    }

    [Fact]
    public void AnyMatchingEntryIsEnough()
    {
        Acl[] acl = [new(Perms.Read, new Id("ip", "192.168.0.0/16")), .. T.Digest("bob:secret", Perms.Create)];
        Assert.True(AclChecker.Check(acl, Perms.Create, Bob(), false));
        Assert.False(AclChecker.Check(acl, Perms.Read, Bob(), false));
    }

    [Fact]
    public void SuperAndSkipAclBypassTheCheck()
    {
        var acl = T.Digest("alice:pw");
        var super = new AuthInfo("10.1.2.3") { IsSuper = true };
        Assert.True(AclChecker.Check(acl, Perms.Admin, super, false));
        Assert.True(AclChecker.Check(acl, Perms.Admin, Bob(), skipAcl: true));
        Assert.False(AclChecker.Check(acl, Perms.Admin, Bob(), false));
    }

    [Fact]
    public void InternalRequestsWithoutAuthAreAllowed() =>
        Assert.True(AclChecker.Check(T.Digest("alice:pw"), Perms.Delete, null, false));

    [Fact]
    public void MaskDigestsHidesTheHashOnly()
    {
        Acl[] acl = [.. T.Digest("bob:secret", Perms.Read), new(Perms.All, new Id("ip", "10.0.0.1"))];
        var masked = AclChecker.MaskDigests(acl);
        Assert.Equal([new Acl(Perms.Read, new Id("digest", "bob:x")), new Acl(Perms.All, new Id("ip", "10.0.0.1"))], masked);
        Assert.Equal("bob:fyVmFCwVbTJYrznoSu1koqYEYF0=", acl[0].Id.Ident); // input untouched
        Assert.Same(Acl.OpenAclUnsafe, AclChecker.MaskDigests(Acl.OpenAclUnsafe));
    }

    [Fact]
    public void FixupKeepsSaslAndX509Ids()
    {
        Acl[] acl = [new(Perms.All, new Id("sasl", "bob@EXAMPLE")), new(Perms.Read, new Id("x509", "CN=bob"))];
        Assert.Equal(acl, AclChecker.Fixup(acl, null));
    }
}
